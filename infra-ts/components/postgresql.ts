import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { componentLabels, resourceNames, selectorLabels } from '../names.js';
import { secretKeys } from '../secrets.js';
import type { StackConfig } from '../stack-config.js';
import { ComponentService } from './component-service.js';
import { postgresqlClaimStorageClass } from './storage-class.js';
import {
  execProbe,
  imageName,
  resourceRequirements,
  restrictedPod,
  scratchVolume,
} from './workload-parts.js';

export const POSTGRESQL_PORT = 5432;
/** The `postgres` user of the official PostgreSQL images (pgvector/pgvector is built on them). */
export const POSTGRES_UID = 999;
/** Name of the volume claim template; the controller names the claim `data-docuchat-postgresql-0`. */
export const POSTGRESQL_DATA_VOLUME = 'data';
/** The claim the StatefulSet controller creates for its one replica, which the Pulumi program grows in place. */
export const POSTGRESQL_DATA_CLAIM = `${POSTGRESQL_DATA_VOLUME}-docuchat-postgresql-0`;

export interface PostgresqlProps {
  readonly config: StackConfig;
}

/**
 * PostgreSQL 16 with pgvector: a one-replica StatefulSet whose claim outlives the StatefulSet
 * (`persistentVolumeClaimRetentionPolicy: Retain`), and a Service. The password comes from the Secret.
 */
export class Postgresql extends Construct {
  constructor(scope: Construct, id: string, props: PostgresqlProps) {
    super(scope, id);
    const { config } = props;
    const pg = config.postgresql;
    const labels = componentLabels('postgresql');
    const storageClassName = postgresqlClaimStorageClass(config);
    const isReady = ['pg_isready', '-h', '127.0.0.1', '-U', pg.user, '-d', pg.database];

    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name: resourceNames.postgresql, labels },
      spec: {
        serviceName: resourceNames.postgresql,
        replicas: 1,
        selector: { matchLabels: selectorLabels('postgresql') },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: {
          metadata: { labels },
          spec: restrictedPod({
            runAsUser: POSTGRES_UID,
            terminationGracePeriodSeconds: 120,
            containers: [
              {
                name: 'postgresql',
                image: imageName(config.images.postgresql),
                ports: [{ name: 'postgresql', containerPort: POSTGRESQL_PORT, protocol: 'TCP' }],
                env: [
                  { name: 'POSTGRES_DB', value: pg.database },
                  { name: 'POSTGRES_USER', value: pg.user },
                  {
                    name: 'POSTGRES_PASSWORD',
                    valueFrom: {
                      secretKeyRef: { name: resourceNames.secret, key: secretKeys.postgresPassword.key },
                    },
                  },
                  // A subdirectory, because the volume's root holds lost+found and initdb wants an empty one.
                  { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                ],
                resources: resourceRequirements(pg.resources),
                livenessProbe: { ...execProbe(isReady, 15), initialDelaySeconds: 30 },
                readinessProbe: execProbe(isReady, 5),
                volumeMounts: [
                  { name: POSTGRESQL_DATA_VOLUME, mountPath: '/var/lib/postgresql/data' },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [scratchVolume('run', '16Mi'), scratchVolume('tmp')],
          }),
        },
        volumeClaimTemplates: [
          {
            metadata: { name: POSTGRESQL_DATA_VOLUME, labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(storageClassName ? { storageClassName } : {}),
              resources: { requests: { storage: k8s.Quantity.fromString(pg.storage) } },
            },
          },
        ],
      },
    });

    new ComponentService(this, 'service', {
      component: 'postgresql',
      name: resourceNames.postgresql,
      ports: [{ name: 'postgresql', port: POSTGRESQL_PORT }],
    });
  }
}

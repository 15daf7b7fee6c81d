import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { componentLabels, resourceNames } from '../names.js';
import { secretKeys } from '../secrets.js';
import type { StackConfig } from '../stack-config.js';
import { BACKUP_DIR, backupScript } from './backup-scripts.js';
import { POSTGRES_UID, POSTGRESQL_PORT } from './postgresql.js';
import { imageName, resourceRequirements, scheduledJob, scratchVolume } from './workload-parts.js';

export interface BackupProps {
  readonly config: StackConfig;
}

/** Connection settings libpq reads, pointing at the in-cluster PostgreSQL Service. */
export function postgresClientEnv(config: StackConfig): k8s.EnvVar[] {
  return [
    { name: 'PGHOST', value: resourceNames.postgresql },
    { name: 'PGPORT', value: String(POSTGRESQL_PORT) },
    { name: 'PGDATABASE', value: config.postgresql.database },
    { name: 'PGUSER', value: config.postgresql.user },
    {
      name: 'PGPASSWORD',
      valueFrom: { secretKeyRef: { name: resourceNames.secret, key: secretKeys.postgresPassword.key } },
    },
  ];
}

/**
 * Nightly `pg_dump | gzip` to the claim `docuchat-backups`, keeping `keepDays` days of dumps. The image is the
 * database's own, so `pg_dump` always matches the server's major version.
 */
export class Backup extends Construct {
  constructor(scope: Construct, id: string, props: BackupProps) {
    super(scope, id);
    const { config } = props;
    const labels = componentLabels('backup');

    new k8s.KubePersistentVolumeClaim(this, 'claim', {
      metadata: { name: resourceNames.backups, labels },
      spec: {
        accessModes: ['ReadWriteOnce'],
        ...(config.backup.storageClassName ? { storageClassName: config.backup.storageClassName } : {}),
        resources: { requests: { storage: k8s.Quantity.fromString(config.backup.storage) } },
      },
    });

    scheduledJob(this, {
      name: resourceNames.backup,
      labels,
      schedule: config.backup.schedule,
      timeZone: config.billing.timeZone,
      backoffLimit: 2,
      pod: {
        runAsUser: POSTGRES_UID,
        containers: [
          {
            name: 'backup',
            image: imageName(config.images.postgresql),
            command: ['bash', '-c', backupScript(config.backup.keepDays)],
            env: postgresClientEnv(config),
            resources: resourceRequirements(config.backup.resources),
            volumeMounts: [
              { name: 'backups', mountPath: BACKUP_DIR },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [
          { name: 'backups', persistentVolumeClaim: { claimName: resourceNames.backups } },
          scratchVolume('tmp'),
        ],
      },
    });
  }
}

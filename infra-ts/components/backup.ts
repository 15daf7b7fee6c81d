import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { componentLabels, resourceNames } from '../names.js';
import { secretKeys } from '../secrets.js';
import { requireObjectStore, type StackConfig } from '../stack-config.js';
import { BACKUP_DIR, backupScript, uploadScript } from './backup-scripts.js';
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
 * What the AWS CLI of the backup jobs needs to reach the bucket: the stack's object store settings and the
 * access key from the Secret (see `backup-scripts.ts`).
 */
export function objectStoreEnv(config: StackConfig): k8s.EnvVar[] {
  const store = requireObjectStore(config);
  const secret = (key: string) => ({ valueFrom: { secretKeyRef: { name: resourceNames.secret, key } } });
  return [
    { name: 'S3_ENDPOINT', value: store.endpoint },
    { name: 'S3_BUCKET', value: store.bucket },
    { name: 'S3_PREFIX', value: store.prefix },
    { name: 'S3_SSE', value: store.serverSideEncryption === 'none' ? '' : store.serverSideEncryption },
    { name: 'S3_PATH_STYLE', value: String(store.pathStyle) },
    { name: 'AWS_DEFAULT_REGION', value: store.region },
    { name: 'AWS_ACCESS_KEY_ID', ...secret(secretKeys.backupS3AccessKeyId.key) },
    { name: 'AWS_SECRET_ACCESS_KEY', ...secret(secretKeys.backupS3SecretAccessKey.key) },
  ];
}

/**
 * Nightly `pg_dump | gzip` to the claim `docuchat-backups` (keeping `keepDays` days there), then the upload of
 * that dump to the S3-compatible bucket, which keeps `keepDaily` daily and `keepWeekly` weekly dumps off the
 * cluster. The dump runs in the database's own image, so `pg_dump` matches the server's major version; the
 * upload in the AWS CLI's, as an init step and a main container, so an upload only ever sees a finished dump.
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
        initContainers: [
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
        containers: [
          {
            name: 'upload',
            image: imageName(config.images.awsCli),
            command: [
              'bash',
              '-c',
              uploadScript({
                daily: requireObjectStore(config).keepDaily,
                weekly: requireObjectStore(config).keepWeekly,
              }),
            ],
            env: objectStoreEnv(config),
            resources: resourceRequirements(config.backup.resources),
            volumeMounts: [
              { name: 'backups', mountPath: BACKUP_DIR, readOnly: true },
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

/**
 * The keys of the Kubernetes Secret `docuchat-secrets`. Manifests refer to them through `secretKeyRef` only; the
 * values come from Pulumi secrets (`pulumi config set --secret docuchat:<configKey> ...`) and never reach `dist/`.
 */
export interface SecretKeyDefinition {
  /** Key in the Kubernetes Secret, and the environment variable name the application reads. */
  readonly key: string;
  /** Pulumi configuration key (namespace `docuchat`) holding the value. */
  readonly configKey: string;
  /**
   * `required`: `pulumi up` refuses to run without it. `optional`: left out of the Secret when unset (the
   * feature falls back to its log-only default). `derived`: composed by the Pulumi program unless set.
   */
  readonly source: 'required' | 'optional' | 'derived';
}

export const secretKeys = {
  openaiApiKey: { key: 'OPENAI_API_KEY', configKey: 'openaiApiKey', source: 'optional' },
  postgresPassword: { key: 'POSTGRES_PASSWORD', configKey: 'databasePassword', source: 'required' },
  /** From the password and the in-cluster PostgreSQL Service, unless `docuchat:databaseUrl` points elsewhere. */
  databaseUrl: { key: 'DATABASE_URL', configKey: 'databaseUrl', source: 'derived' },
  jwtSecret: { key: 'JWT_SECRET', configKey: 'jwtSecret', source: 'required' },
  zibalApiKey: { key: 'ZIBAL_API_KEY', configKey: 'zibalApiKey', source: 'optional' },
  grafanaAdminPassword: {
    key: 'GRAFANA_ADMIN_PASSWORD',
    configKey: 'grafanaAdminPassword',
    source: 'required',
  },
  smtpUrl: { key: 'SMTP_URL', configKey: 'smtpUrl', source: 'optional' },
  /** Off-cluster backups: the S3-compatible bucket's access key (read by the backup jobs only). */
  backupS3AccessKeyId: {
    key: 'BACKUP_S3_ACCESS_KEY_ID',
    configKey: 'backupS3AccessKeyId',
    source: 'required',
  },
  backupS3SecretAccessKey: {
    key: 'BACKUP_S3_SECRET_ACCESS_KEY',
    configKey: 'backupS3SecretAccessKey',
    source: 'required',
  },
} as const satisfies Record<string, SecretKeyDefinition>;

export type SecretKeyId = keyof typeof secretKeys;

/** Pulumi config keys that hold secrets; the stack configuration parser skips them. */
export const SECRET_CONFIG_KEYS: ReadonlySet<string> = new Set(
  Object.values(secretKeys).map((k) => k.configKey),
);

import * as pulumi from '@pulumi/pulumi';
import { POSTGRESQL_PORT } from '../components/postgresql.js';
import { resourceNames } from '../names.js';
import { secretKeys } from '../secrets.js';
import type { StackConfig } from '../stack-config.js';
import { PROJECT_NAMESPACE } from '../stack-files.js';

/**
 * The values of the Secret `docuchat-secrets`, from Pulumi secrets. Required ones fail `pulumi up` naming the
 * `pulumi config set --secret` command to run; optional ones are left out, so the server falls back to its
 * log-only default; DATABASE_URL is composed from the password unless set.
 */
export function secretData(config: StackConfig): Record<string, pulumi.Output<string>> {
  const cfg = new pulumi.Config(PROJECT_NAMESPACE);
  const data: Record<string, pulumi.Output<string>> = {};
  for (const def of Object.values(secretKeys)) {
    if (def.source === 'required') {
      const value = cfg.getSecret(def.configKey);
      if (value === undefined) {
        throw new Error(
          `Missing secret ${PROJECT_NAMESPACE}:${def.configKey} (${def.key}); run: pulumi config set --secret ${PROJECT_NAMESPACE}:${def.configKey} <value>`,
        );
      }
      data[def.key] = value;
    } else {
      const value = cfg.getSecret(def.configKey);
      if (value !== undefined) data[def.key] = value;
    }
  }
  if (!data[secretKeys.databaseUrl.key]) {
    const pg = config.postgresql;
    const password = data[secretKeys.postgresPassword.key]!;
    data[secretKeys.databaseUrl.key] = pulumi.secret(
      password.apply(
        (pw) =>
          `postgresql://${pg.user}:${encodeURIComponent(pw)}@${resourceNames.postgresql}:${POSTGRESQL_PORT}/${pg.database}`,
      ),
    );
  }
  return data;
}

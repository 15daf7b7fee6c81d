import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { componentLabels } from '../names.js';
import type { StackConfig } from '../stack-config.js';

/** The StorageClass a stack creates for its database volume (cluster-scoped, so named after the namespace). */
export function postgresqlStorageClassName(config: StackConfig): string {
  return `${config.namespace}-postgresql`;
}

/** The class the PostgreSQL claim uses: the one the stack creates, the configured one, or the cluster's default. */
export function postgresqlClaimStorageClass(config: StackConfig): string | undefined {
  return config.postgresql.storageClass
    ? postgresqlStorageClassName(config)
    : config.postgresql.storageClassName;
}

export interface PostgresqlStorageClassProps {
  readonly config: StackConfig;
}

/**
 * A StorageClass for the database volume that lets it grow (`allowVolumeExpansion`), keeps the disk when the
 * claim goes (`Retain`), and provisions in the zone the pod is scheduled to (`WaitForFirstConsumer`).
 */
export class PostgresqlStorageClass extends Construct {
  constructor(scope: Construct, id: string, props: PostgresqlStorageClassProps) {
    super(scope, id);
    const { config } = props;
    const storageClass = config.postgresql.storageClass;
    if (!storageClass) return;
    new k8s.KubeStorageClass(this, 'storage-class', {
      metadata: { name: postgresqlStorageClassName(config), labels: componentLabels('postgresql') },
      provisioner: storageClass.provisioner,
      parameters: storageClass.parameters,
      allowVolumeExpansion: true,
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
  }
}

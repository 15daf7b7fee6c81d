import { Construct } from 'constructs';
import { componentLabels, resourceNames } from '../names.js';
import type { StackConfig } from '../stack-config.js';
import { BACKUP_DIR, restoreVerifyScript, SCRATCH_DIR } from './backup-scripts.js';
import { POSTGRES_UID } from './postgresql.js';
import { imageName, resourceRequirements, scheduledJob, scratchVolume } from './workload-parts.js';

export interface RestoreVerifyProps {
  readonly config: StackConfig;
}

/**
 * A backup nobody has restored is a hope, not a backup: this job restores the newest dump into a scratch
 * database inside its own pod and fails when any table's row count differs from the dump.
 */
export class RestoreVerify extends Construct {
  constructor(scope: Construct, id: string, props: RestoreVerifyProps) {
    super(scope, id);
    const { config } = props;
    const labels = componentLabels('backup');

    scheduledJob(this, {
      name: resourceNames.restoreVerify,
      labels,
      schedule: config.backup.restoreVerifySchedule,
      timeZone: config.billing.timeZone,
      backoffLimit: 0,
      pod: {
        runAsUser: POSTGRES_UID,
        containers: [
          {
            name: 'restore-verify',
            image: imageName(config.images.postgresql),
            command: ['bash', '-c', restoreVerifyScript()],
            resources: resourceRequirements(config.backup.resources),
            volumeMounts: [
              { name: 'backups', mountPath: BACKUP_DIR, readOnly: true },
              { name: 'scratch', mountPath: SCRATCH_DIR },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [
          {
            name: 'backups',
            persistentVolumeClaim: { claimName: resourceNames.backups, readOnly: true },
          },
          // The scratch database lives and dies with the pod.
          scratchVolume('scratch', '20Gi'),
          scratchVolume('tmp'),
        ],
      },
    });
  }
}

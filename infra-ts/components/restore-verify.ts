import { Construct } from 'constructs';
import { componentLabels, resourceNames } from '../names.js';
import type { StackConfig } from '../stack-config.js';
import { objectStoreEnv } from './backup.js';
import { fetchLatestScript, RESTORE_DIR, restoreVerifyScript, SCRATCH_DIR } from './backup-scripts.js';
import { POSTGRES_UID } from './postgresql.js';
import { imageName, resourceRequirements, scheduledJob, scratchVolume } from './workload-parts.js';

export interface RestoreVerifyProps {
  readonly config: StackConfig;
}

/**
 * A backup nobody has restored is a hope, not a backup: this job fetches the newest dump from the object store
 * (the off-cluster copy, the one a lost cluster leaves), restores it into a scratch database inside its own pod
 * and fails when any table's row count differs from the dump.
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
        initContainers: [
          {
            name: 'fetch',
            image: imageName(config.images.awsCli),
            command: ['bash', '-c', fetchLatestScript()],
            env: objectStoreEnv(config),
            resources: resourceRequirements(config.backup.resources),
            volumeMounts: [
              { name: 'restore', mountPath: RESTORE_DIR },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        containers: [
          {
            name: 'restore-verify',
            image: imageName(config.images.postgresql),
            command: ['bash', '-c', restoreVerifyScript(RESTORE_DIR)],
            resources: resourceRequirements(config.backup.resources),
            volumeMounts: [
              { name: 'restore', mountPath: RESTORE_DIR, readOnly: true },
              { name: 'scratch', mountPath: SCRATCH_DIR },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [
          // The fetched dump and the scratch database live and die with the pod.
          scratchVolume('restore', config.backup.storage),
          scratchVolume('scratch', '20Gi'),
          scratchVolume('tmp'),
        ],
      },
    });
  }
}

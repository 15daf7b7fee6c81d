import { Construct } from 'constructs';
import { componentLabels, resourceNames } from '../names.js';
import type { StackConfig } from '../stack-config.js';
import { backendEnvironment, NODE_UID } from './backend.js';
import { appImage, resourceRequirements, scheduledJob, scratchVolume } from './workload-parts.js';

export interface BillingProps {
  readonly config: StackConfig;
}

/**
 * The daily billing run: the backend image with the billing command, never two runs at once (Forbid), in the
 * billing time zone. The job is idempotent per day, so a retry after a failure is safe.
 */
export class Billing extends Construct {
  constructor(scope: Construct, id: string, props: BillingProps) {
    super(scope, id);
    const { config } = props;
    const labels = componentLabels('billing');
    const env = backendEnvironment(config);

    scheduledJob(this, {
      name: resourceNames.billing,
      labels,
      schedule: config.billing.schedule,
      timeZone: config.billing.timeZone,
      backoffLimit: 2,
      activeDeadlineSeconds: 3600,
      pod: {
        runAsUser: NODE_UID,
        containers: [
          {
            name: 'billing',
            image: appImage(config, 'backend'),
            command: ['node', 'build/billing/main.js'],
            args: [...config.billing.args],
            envFrom: [{ configMapRef: { name: resourceNames.backendConfig } }],
            env: env.secretEnv,
            resources: resourceRequirements(config.billing.resources),
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          },
        ],
        volumes: [scratchVolume('tmp')],
      },
    });
  }
}

import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { componentLabels, resourceNames, selectorLabels } from '../names.js';
import type { StackConfig } from '../stack-config.js';
import { ComponentService } from './component-service.js';
import { appImage, httpProbe, resourceRequirements, restrictedPod, scratchVolume } from './workload-parts.js';

/** The port the unprivileged web server in the frontend image listens on. */
export const FRONTEND_PORT = 8080;
/** The `nginx` user of the unprivileged nginx image the frontend image is built on. */
const NGINX_UID = 101;

export interface FrontendProps {
  readonly config: StackConfig;
}

/** The built web app behind a static web server: Deployment with a fixed replica count, Service, budget. */
export class Frontend extends Construct {
  constructor(scope: Construct, id: string, props: FrontendProps) {
    super(scope, id);
    const { config } = props;
    const labels = componentLabels('frontend');

    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: resourceNames.frontend, labels },
      spec: {
        replicas: config.frontend.replicas,
        selector: { matchLabels: selectorLabels('frontend') },
        template: {
          metadata: { labels },
          spec: restrictedPod({
            runAsUser: NGINX_UID,
            containers: [
              {
                name: 'frontend',
                image: appImage(config, 'frontend'),
                ports: [{ name: 'http', containerPort: FRONTEND_PORT, protocol: 'TCP' }],
                resources: resourceRequirements(config.frontend.resources),
                livenessProbe: httpProbe('/', 'http'),
                readinessProbe: httpProbe('/', 'http', 5),
                // nginx writes its pid file and proxy temp files under /tmp.
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [scratchVolume('tmp')],
          }),
        },
      },
    });

    new ComponentService(this, 'service', {
      component: 'frontend',
      name: resourceNames.frontend,
      ports: [{ name: 'http', port: FRONTEND_PORT }],
    });

    new k8s.KubePodDisruptionBudget(this, 'disruption-budget', {
      metadata: { name: resourceNames.frontend, labels },
      spec: {
        minAvailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: selectorLabels('frontend') },
      },
    });
  }
}

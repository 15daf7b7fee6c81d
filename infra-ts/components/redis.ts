import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { componentLabels, resourceNames, selectorLabels } from '../names.js';
import type { StackConfig } from '../stack-config.js';
import { ComponentService } from './component-service.js';
import {
  execProbe,
  imageName,
  resourceRequirements,
  restrictedPod,
  scratchVolume,
} from './workload-parts.js';

export const REDIS_PORT = 6379;
/** The `redis` user of the official Alpine Redis image. */
const REDIS_UID = 999;

export interface RedisProps {
  readonly config: StackConfig;
}

/**
 * Redis as a shared cache and rate-limit store: nothing in it must survive a restart, so a Deployment with an
 * emptyDir, persistence off and an LRU memory cap below the container limit.
 */
export class Redis extends Construct {
  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const { config } = props;
    const labels = componentLabels('redis');
    const maxMemory = config.redis.maxMemory.replace(/i$/, 'b').toLowerCase();

    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: resourceNames.redis, labels },
      spec: {
        replicas: 1,
        // Recreate: two Redis pods would split the rate-limit counters during a rollout.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selectorLabels('redis') },
        template: {
          metadata: { labels },
          spec: restrictedPod({
            runAsUser: REDIS_UID,
            containers: [
              {
                name: 'redis',
                image: imageName(config.images.redis),
                args: [
                  '--save',
                  '',
                  '--appendonly',
                  'no',
                  '--maxmemory',
                  maxMemory,
                  '--maxmemory-policy',
                  'allkeys-lru',
                ],
                ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
                resources: resourceRequirements(config.redis.resources),
                livenessProbe: {
                  tcpSocket: { port: k8s.IntOrString.fromString('redis') },
                  periodSeconds: 10,
                },
                readinessProbe: execProbe(['redis-cli', 'ping'], 5),
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
            ],
            volumes: [scratchVolume('data')],
          }),
        },
      },
    });

    new ComponentService(this, 'service', {
      component: 'redis',
      name: resourceNames.redis,
      ports: [{ name: 'redis', port: REDIS_PORT }],
    });
  }
}

import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DEFAULT_PORT, HEALTH_PATH, LIVENESS_PATH } from '../../app/config/http.js';
import { componentLabels, resourceNames, selectorLabels } from '../names.js';
import { secretKeys } from '../secrets.js';
import { memoryBytes, type StackConfig } from '../stack-config.js';
import { ComponentService } from './component-service.js';
import { appImage, httpProbe, resourceRequirements, restrictedPod, scratchVolume } from './workload-parts.js';

/** Where the server keeps its data directory; an emptyDir, since all durable state is in PostgreSQL. */
const DATA_DIR = '/var/lib/docuchat';
/** The `node` user of the official Node.js images the backend image is built on. */
export const NODE_UID = 1000;

export interface BackendProps {
  readonly config: StackConfig;
}

/**
 * Environment the backend and the billing job share, split by where it comes from: plain values in the
 * ConfigMap `docuchat-backend-config`, secrets through `secretKeyRef` so they never appear in a manifest.
 */
export function backendEnvironment(config: StackConfig): {
  configMapData: Record<string, string>;
  secretEnv: k8s.EnvVar[];
} {
  const base = `${config.tls.enabled ? 'https' : 'http'}://${config.domains.app}`;
  const configMapData: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: String(DEFAULT_PORT),
    LOG_LEVEL: config.backend.logLevel,
    DATA_DIR,
    PUBLIC_BASE_URL: base,
    CORS_ORIGINS: base,
    REDIS_URL: `redis://${resourceNames.redis}:6379/0`,
    PROMETHEUS_URL: `http://${resourceNames.prometheus}:9090`,
    BILLING_TIMEZONE: config.billing.timeZone,
    MAX_UPLOAD_BYTES: String(config.backend.maxUploadMegabytes * 1024 * 1024),
    // The frontend Deployment serves the web app; the backend answers /api only.
    SERVE_WEB: 'false',
  };
  const fromSecret = (id: keyof typeof secretKeys): k8s.EnvVar => {
    const def = secretKeys[id];
    // An optional key may be absent from the Secret; the server then uses its log-only default.
    const optional = def.source === 'optional' ? true : undefined;
    return {
      name: def.key,
      valueFrom: { secretKeyRef: { name: resourceNames.secret, key: def.key, optional } },
    };
  };
  const secretEnv = [
    fromSecret('databaseUrl'),
    fromSecret('jwtSecret'),
    fromSecret('openaiApiKey'),
    fromSecret('zibalApiKey'),
    fromSecret('smtpUrl'),
  ];
  return { configMapData, secretEnv };
}

/**
 * The API server: Deployment without `replicas` (the HorizontalPodAutoscaler owns the count, so neither the
 * autoscaler nor `pulumi up` undoes the other), its Service, autoscaler and disruption budget.
 */
export class Backend extends Construct {
  /** The memory limit of one backend container in bytes; the HighMemoryUsage alert is built from it. */
  public readonly memoryLimitBytes: number;

  constructor(scope: Construct, id: string, props: BackendProps) {
    super(scope, id);
    const { config } = props;
    const labels = componentLabels('backend');
    const env = backendEnvironment(config);
    this.memoryLimitBytes = memoryBytes(config.backend.resources.limits.memory);

    new kplus.ConfigMap(this, 'config', {
      metadata: { name: resourceNames.backendConfig, labels },
      data: env.configMapData,
    });

    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: resourceNames.backend, labels },
      spec: {
        selector: { matchLabels: selectorLabels('backend') },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxSurge: k8s.IntOrString.fromString('25%'),
            maxUnavailable: k8s.IntOrString.fromNumber(0),
          },
        },
        template: {
          metadata: { labels },
          spec: restrictedPod({
            runAsUser: NODE_UID,
            terminationGracePeriodSeconds: 60,
            containers: [
              {
                name: 'backend',
                image: appImage(config, 'backend'),
                command: ['node', 'build/app/server/main.js'],
                ports: [{ name: 'http', containerPort: DEFAULT_PORT, protocol: 'TCP' }],
                envFrom: [{ configMapRef: { name: resourceNames.backendConfig } }],
                env: env.secretEnv,
                resources: resourceRequirements(config.backend.resources),
                livenessProbe: { ...httpProbe(LIVENESS_PATH, 'http'), initialDelaySeconds: 10 },
                readinessProbe: httpProbe(HEALTH_PATH, 'http', 5),
                volumeMounts: [
                  { name: 'data', mountPath: DATA_DIR },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [scratchVolume('data'), scratchVolume('tmp', '1Gi')],
          }),
        },
      },
    });

    new ComponentService(this, 'service', {
      component: 'backend',
      name: resourceNames.backend,
      ports: [{ name: 'http', port: DEFAULT_PORT }],
    });

    const autoscaling = config.backend.autoscaling;
    new k8s.KubeHorizontalPodAutoscalerV2(this, 'autoscaler', {
      metadata: { name: resourceNames.backend, labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: resourceNames.backend },
        minReplicas: autoscaling.minReplicas,
        maxReplicas: autoscaling.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: autoscaling.cpuUtilizationPercent },
            },
          },
          {
            type: 'Resource',
            resource: {
              name: 'memory',
              target: { type: 'Utilization', averageUtilization: autoscaling.memoryUtilizationPercent },
            },
          },
        ],
        behavior: {
          // Streams last minutes; scaling down slowly keeps open SSE connections from being cut in bursts.
          scaleDown: { stabilizationWindowSeconds: Duration.minutes(5).toSeconds() },
        },
      },
    });

    new k8s.KubePodDisruptionBudget(this, 'disruption-budget', {
      metadata: { name: resourceNames.backend, labels },
      spec: {
        minAvailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: selectorLabels('backend') },
      },
    });
  }
}

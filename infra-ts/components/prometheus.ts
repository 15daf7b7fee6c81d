import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { componentLabels, resourceNames, selectorLabels } from '../names.js';
import type { StackConfig } from '../stack-config.js';
import { ComponentService } from './component-service.js';
import {
  httpProbe,
  imageName,
  podSecurityContext,
  resourceRequirements,
  restrictedContainerSecurityContext,
} from './workload-parts.js';

export const PROMETHEUS_PORT = 9090;
/** Where the ConfigMap `docuchat-prometheus-config` is mounted; `prometheus.yml` names its rule files relative to it. */
export const PROMETHEUS_CONFIG_DIR = '/etc/prometheus';
/** The `nobody` user the Prometheus image runs as. */
const NOBODY_UID = 65534;

export interface PrometheusProps {
  readonly config: StackConfig;
  /**
   * The server configuration and rule files, file name → content, as rendered by `alerts-ts` for this stack.
   * `prometheus.yml` must be among them.
   */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * Prometheus with 30-day retention on its own volume; its configuration and alert rules come from the typed
 * builders in `alerts-ts` through a ConfigMap; a ServiceAccount with read access to pods for pod discovery.
 */
export class Prometheus extends Construct {
  constructor(scope: Construct, id: string, props: PrometheusProps) {
    super(scope, id);
    const { config, files } = props;
    if (!files['prometheus.yml']) {
      throw new Error(
        'Prometheus needs a prometheus.yml among the rendered files (renderPrometheusFiles in alerts-ts)',
      );
    }
    const labels = componentLabels('prometheus');

    new kplus.ConfigMap(this, 'config', {
      metadata: { name: resourceNames.prometheusConfig, labels },
      data: Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b))),
    });

    // Pod discovery lists and watches pods in this namespace only; a namespaced Role is enough.
    const account = new kplus.ServiceAccount(this, 'service-account', {
      metadata: { name: resourceNames.prometheus, labels },
      automountToken: true,
    });
    const role = new kplus.Role(this, 'role', { metadata: { name: resourceNames.prometheus, labels } });
    role.allowRead(kplus.ApiResource.PODS);
    const binding = new kplus.RoleBinding(this, 'role-binding', {
      metadata: { name: resourceNames.prometheus, labels },
      role,
    });
    binding.addSubjects(account);

    const retention = `${config.prometheus.retentionDays}d`;
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: { name: resourceNames.prometheus, labels },
      spec: {
        serviceName: resourceNames.prometheus,
        replicas: 1,
        selector: { matchLabels: selectorLabels('prometheus') },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: resourceNames.prometheus,
            securityContext: podSecurityContext(NOBODY_UID),
            containers: [
              {
                name: 'prometheus',
                image: imageName(config.images.prometheus),
                args: [
                  `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
                  '--storage.tsdb.path=/prometheus',
                  `--storage.tsdb.retention.time=${retention}`,
                  '--web.enable-lifecycle',
                ],
                ports: [{ name: 'http', containerPort: PROMETHEUS_PORT, protocol: 'TCP' }],
                resources: resourceRequirements(config.prometheus.resources),
                livenessProbe: httpProbe('/-/healthy', 'http', 15),
                readinessProbe: httpProbe('/-/ready', 'http', 5),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [
                  { name: 'config', mountPath: PROMETHEUS_CONFIG_DIR, readOnly: true },
                  { name: 'data', mountPath: '/prometheus' },
                ],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: resourceNames.prometheusConfig } }],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(config.prometheus.storageClassName
                ? { storageClassName: config.prometheus.storageClassName }
                : {}),
              resources: { requests: { storage: k8s.Quantity.fromString(config.prometheus.storage) } },
            },
          },
        ],
      },
    });

    new ComponentService(this, 'service', {
      component: 'prometheus',
      name: resourceNames.prometheus,
      ports: [{ name: 'http', port: PROMETHEUS_PORT }],
    });
  }
}

import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { componentLabels, resourceNames, selectorLabels } from '../names.js';
import { secretKeys } from '../secrets.js';
import type { StackConfig } from '../stack-config.js';
import { ComponentService } from './component-service.js';
import {
  httpProbe,
  imageName,
  resourceRequirements,
  restrictedPod,
  scratchVolume,
} from './workload-parts.js';

export const GRAFANA_PORT = 3000;
/** The `grafana` user of the Grafana image. */
const GRAFANA_UID = 472;

export interface GrafanaProps {
  readonly config: StackConfig;
  /** Dashboards and provisioning files, file name → content, as rendered by `dashboards-ts`. */
  readonly files: Readonly<Record<string, string>>;
  /** The directory in the container each file belongs in (`grafanaFileTargets` of `dashboards-ts`). */
  readonly targets: Readonly<Record<string, string>>;
}

/** A volume name from a mount path: DNS-label safe and stable, since the path is. */
function volumeNameFor(dir: string): string {
  return dir
    .replace(/^\/+/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .slice(-63)
    .replace(/^-+/, '');
}

/**
 * Grafana with everything provisioned from files (no clicks to lose on a restart); admin password from the
 * Secret; its state is an emptyDir because dashboards and data sources are code.
 */
export class Grafana extends Construct {
  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    const { config } = props;
    const labels = componentLabels('grafana');
    // Dashboards (JSON) and provisioning (YAML) in two ConfigMaps: a dashboard edit then never touches the
    // data source definition in a review.
    const names = Object.keys(props.files).sort();
    const configMapOf = (file: string) =>
      file.endsWith('.json') ? resourceNames.grafanaDashboards : resourceNames.grafanaProvisioning;
    for (const [id, configMap] of [
      ['dashboards', resourceNames.grafanaDashboards],
      ['provisioning', resourceNames.grafanaProvisioning],
    ] as const) {
      new kplus.ConfigMap(this, id, {
        metadata: { name: configMap, labels },
        data: Object.fromEntries(
          names.filter((f) => configMapOf(f) === configMap).map((f) => [f, props.files[f]!]),
        ),
      });
    }
    const directories = [...new Set(names.map((f) => this.targetOf(props, f)))].sort();
    const fileVolumes: k8s.Volume[] = directories.map((dir) => {
      const files = names.filter((f) => this.targetOf(props, f) === dir);
      const configMaps = new Set(files.map(configMapOf));
      if (configMaps.size !== 1)
        throw new Error(`Grafana files for ${dir} span two ConfigMaps: ${files.join(', ')}`);
      return {
        name: volumeNameFor(dir),
        configMap: { name: [...configMaps][0]!, items: files.map((f) => ({ key: f, path: f })) },
      };
    });

    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: resourceNames.grafana, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: selectorLabels('grafana') },
        template: {
          metadata: { labels },
          spec: restrictedPod({
            runAsUser: GRAFANA_UID,
            containers: [
              {
                name: 'grafana',
                image: imageName(config.images.grafana),
                ports: [{ name: 'http', containerPort: GRAFANA_PORT, protocol: 'TCP' }],
                env: [
                  { name: 'GF_SECURITY_ADMIN_USER', value: 'admin' },
                  {
                    name: 'GF_SECURITY_ADMIN_PASSWORD',
                    valueFrom: {
                      secretKeyRef: { name: resourceNames.secret, key: secretKeys.grafanaAdminPassword.key },
                    },
                  },
                  {
                    name: 'GF_SERVER_ROOT_URL',
                    value: `${config.tls.enabled ? 'https' : 'http'}://${config.domains.grafana}`,
                  },
                  { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' },
                  { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
                  { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
                  // Logs to stdout only: the root file system is read-only, so no /var/log/grafana.
                  { name: 'GF_LOG_MODE', value: 'console' },
                  { name: 'GF_PATHS_PROVISIONING', value: '/etc/grafana/provisioning' },
                ],
                resources: resourceRequirements(config.grafana.resources),
                livenessProbe: httpProbe('/api/health', 'http', 15),
                readinessProbe: httpProbe('/api/health', 'http', 5),
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/grafana' },
                  { name: 'tmp', mountPath: '/tmp' },
                  ...directories.map((dir) => ({ name: volumeNameFor(dir), mountPath: dir, readOnly: true })),
                ],
              },
            ],
            volumes: [scratchVolume('data', '1Gi'), scratchVolume('tmp'), ...fileVolumes],
          }),
        },
      },
    });

    new ComponentService(this, 'service', {
      component: 'grafana',
      name: resourceNames.grafana,
      ports: [{ name: 'http', port: GRAFANA_PORT }],
    });
  }

  private targetOf(props: GrafanaProps, file: string): string {
    const dir = props.targets[file];
    if (!dir)
      throw new Error(`Grafana file ${file} has no target directory (grafanaFileTargets in dashboards-ts)`);
    return dir;
  }
}

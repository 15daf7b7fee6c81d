/**
 * dashboards-ts: DocuChat's Grafana dashboards and provisioning files, rendered from typed builders fed by the
 * metric catalog. `infra-ts` imports {@link renderGrafanaFiles} to fill the `docuchat-grafana-dashboards`
 * ConfigMap.
 *
 * Where each file goes in the Grafana container ({@link GRAFANA_FILE_TARGETS}):
 * - `*.json` dashboards → `dashboardsPath` (default `/var/lib/grafana/dashboards/docuchat`);
 * - `provisioning-datasources.yml` → `/etc/grafana/provisioning/datasources/`;
 * - `provisioning-dashboards.yml` → `/etc/grafana/provisioning/dashboards/`.
 */
import { renderDashboards } from './dashboards.js';
import { type GrafanaParams, resolveGrafanaParams } from './params.js';
import { renderDashboardProvider, renderDatasources } from './provisioning.js';

export {
  DEFAULT_GRAFANA_PARAMS,
  type GrafanaParams,
  PROMETHEUS_DATASOURCE_UID,
  type ResolvedGrafanaParams,
  resolveGrafanaParams,
} from './params.js';

/** Dashboard file names (ConfigMap keys), stable because infra mounts them by name. */
export const DASHBOARD_FILES = {
  backendOverview: 'backend-overview.json',
  tokenUsage: 'token-usage.json',
} as const;

export const GRAFANA_DATASOURCES_FILE = 'provisioning-datasources.yml';
export const GRAFANA_DASHBOARD_PROVIDER_FILE = 'provisioning-dashboards.yml';

/** Every file {@link renderGrafanaFiles} returns, keyed by its ConfigMap key. */
export interface GrafanaFiles {
  readonly 'backend-overview.json': string;
  readonly 'token-usage.json': string;
  readonly 'provisioning-datasources.yml': string;
  readonly 'provisioning-dashboards.yml': string;
}

/** Directory in the Grafana container each file must be mounted into. */
export function grafanaFileTargets(params: GrafanaParams = {}): Readonly<Record<keyof GrafanaFiles, string>> {
  const p = resolveGrafanaParams(params);
  return {
    'backend-overview.json': p.dashboardsPath,
    'token-usage.json': p.dashboardsPath,
    'provisioning-datasources.yml': '/etc/grafana/provisioning/datasources',
    'provisioning-dashboards.yml': '/etc/grafana/provisioning/dashboards',
  };
}

/** The two dashboards and the provisioning files, deterministic (stable key order, uids and panel ids). */
export function renderGrafanaFiles(params: GrafanaParams = {}): GrafanaFiles {
  const p = resolveGrafanaParams(params);
  const dashboards = renderDashboards(p);
  return {
    [DASHBOARD_FILES.backendOverview]: dashboards.backendOverview,
    [DASHBOARD_FILES.tokenUsage]: dashboards.tokenUsage,
    [GRAFANA_DATASOURCES_FILE]: renderDatasources(p),
    [GRAFANA_DASHBOARD_PROVIDER_FILE]: renderDashboardProvider(p),
  } as GrafanaFiles;
}

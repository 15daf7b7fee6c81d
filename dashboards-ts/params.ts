/**
 * Facts the dashboards and Grafana provisioning depend on. `infra-ts` passes its own values; the render
 * script uses the defaults (the in-namespace Prometheus Service and the agreed scrape job).
 */
export interface GrafanaParams {
  /** URL Grafana uses to reach Prometheus. @default 'http://docuchat-prometheus:9090' (the Service, same namespace) */
  readonly prometheusUrl?: string;
  /** Scrape job of the backend, as in the Prometheus config. @default 'docuchat-backend' */
  readonly jobName?: string;
  /**
   * Directory in the Grafana container where the dashboard JSON files are mounted; the dashboard provider
   * reads them from there. @default '/var/lib/grafana/dashboards/docuchat'
   */
  readonly dashboardsPath?: string;
  /** Prometheus' scrape interval; Grafana's `$__rate_interval` is at least four of them. @default 30 */
  readonly scrapeIntervalSeconds?: number;
}

export type ResolvedGrafanaParams = Required<GrafanaParams>;

export const DEFAULT_GRAFANA_PARAMS: ResolvedGrafanaParams = {
  prometheusUrl: 'http://docuchat-prometheus:9090',
  jobName: 'docuchat-backend',
  dashboardsPath: '/var/lib/grafana/dashboards/docuchat',
  scrapeIntervalSeconds: 30,
};

/** Stable uid of the provisioned Prometheus datasource; dashboards default their datasource variable to it. */
export const PROMETHEUS_DATASOURCE_UID = 'docuchat-prometheus';

export function resolveGrafanaParams(params: GrafanaParams = {}): ResolvedGrafanaParams {
  const p = { ...DEFAULT_GRAFANA_PARAMS, ...params };
  try {
    const url = new URL(p.prometheusUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new Error(
      `Invalid Grafana parameters: prometheusUrl must be an http(s) URL such as http://docuchat-prometheus:9090, got ${JSON.stringify(p.prometheusUrl)}`,
    );
  }
  if (!p.dashboardsPath.startsWith('/')) {
    throw new Error(
      `Invalid Grafana parameters: dashboardsPath must be an absolute path in the Grafana container, got ${JSON.stringify(p.dashboardsPath)}`,
    );
  }
  if (!Number.isInteger(p.scrapeIntervalSeconds) || p.scrapeIntervalSeconds < 1) {
    throw new Error(
      `Invalid Grafana parameters: scrapeIntervalSeconds must be a whole number of seconds ≥ 1, got ${p.scrapeIntervalSeconds}`,
    );
  }
  return p;
}

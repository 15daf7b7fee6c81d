/**
 * The Prometheus server configuration of the seed: pods discovered in one namespace, kept when their
 * `app.kubernetes.io/component` label marks them as the backend, scraped on the app's own metrics path.
 */
import { METRICS_PATH } from '../app/config/http.js';
import { type PrometheusParams, resolvePrometheusParams } from './params.js';

/** File name of the rendered rule groups; `prometheus.yml` loads it relative to its own directory. */
export const PROMETHEUS_RULES_FILE = 'alerts.yml';
export const PROMETHEUS_CONFIG_FILE = 'prometheus.yml';

export interface RelabelConfig {
  readonly source_labels: readonly string[];
  readonly action?: 'keep' | 'drop' | 'replace';
  readonly regex?: string;
  readonly target_label?: string;
}

export interface ScrapeConfig {
  readonly job_name: string;
  readonly metrics_path: string;
  readonly kubernetes_sd_configs: readonly {
    readonly role: 'pod';
    readonly namespaces: { readonly names: readonly string[] };
  }[];
  readonly relabel_configs: readonly RelabelConfig[];
}

export interface PrometheusConfig {
  readonly global: { readonly scrape_interval: string; readonly evaluation_interval: string };
  readonly rule_files: readonly string[];
  readonly scrape_configs: readonly ScrapeConfig[];
}

/** Prometheus relabel regexes are fully anchored RE2; escape a literal label value. */
function literalRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The `docuchat-backend` scrape job: Kubernetes pod discovery restricted to backend pods in the namespace. */
export function buildScrapeConfig(params: PrometheusParams): ScrapeConfig {
  const p = resolvePrometheusParams(params);
  return {
    job_name: p.jobName,
    metrics_path: METRICS_PATH,
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [p.namespace] } }],
    relabel_configs: [
      {
        source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'],
        action: 'keep',
        regex: literalRegex(p.backendComponent),
      },
      // Pod discovery yields one target per declared container port; only the API port serves metrics.
      {
        source_labels: ['__meta_kubernetes_pod_container_port_number'],
        action: 'keep',
        regex: String(p.metricsPort),
      },
      // PodDown and HighMemoryUsage name the pod; `instance` alone is an IP that changes on every restart.
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    ],
  };
}

/** The whole server configuration: 30 s scrape and evaluation (the seed's), the rule file, the backend job. */
export function buildPrometheusConfig(params: PrometheusParams): PrometheusConfig {
  const p = resolvePrometheusParams(params);
  return {
    global: {
      scrape_interval: `${p.scrapeIntervalSeconds}s`,
      evaluation_interval: `${p.evaluationIntervalSeconds}s`,
    },
    rule_files: [PROMETHEUS_RULES_FILE],
    scrape_configs: [buildScrapeConfig(p)],
  };
}

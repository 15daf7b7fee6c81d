import { describe, expect, it } from 'vitest';
import { METRICS_PATH } from '../app/config/http.js';
import {
  buildPrometheusConfig,
  buildScrapeConfig,
  DEFAULT_PROMETHEUS_PARAMS,
  renderPrometheusFiles,
} from './index.js';

describe('Prometheus scrape configuration', () => {
  it("scrapes the seed's way: 30 s, job docuchat-backend, pods of the namespace, the app's metrics path", () => {
    const config = buildPrometheusConfig(DEFAULT_PROMETHEUS_PARAMS);
    expect(config.global).toEqual({ scrape_interval: '30s', evaluation_interval: '30s' });
    expect(config.rule_files).toEqual(['alerts.yml']);
    const [job] = config.scrape_configs;
    expect(job?.job_name).toBe('docuchat-backend');
    expect(job?.metrics_path).toBe(METRICS_PATH);
    expect(job?.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['docuchat-prod'] } }]);
  });

  it('keeps only pods labelled as the backend component, on the metrics port, and names the pod', () => {
    const job = buildScrapeConfig({
      namespace: 'docuchat-dev',
      backendComponent: 'backend',
      memoryLimitBytes: 1,
    });
    expect(job.kubernetes_sd_configs[0]?.namespaces.names).toEqual(['docuchat-dev']);
    expect(job.relabel_configs).toEqual([
      {
        source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'],
        action: 'keep',
        regex: 'backend',
      },
      { source_labels: ['__meta_kubernetes_pod_container_port_number'], action: 'keep', regex: '8000' },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    ]);
  });

  it('a component label value is matched literally, not as a regular expression', () => {
    const job = buildScrapeConfig({ ...DEFAULT_PROMETHEUS_PARAMS, backendComponent: 'api.v2' });
    expect(job.relabel_configs[0]?.regex).toBe('api\\.v2');
  });

  it('refuses parameters Kubernetes or Prometheus would reject, naming the parameter', () => {
    expect(() => renderPrometheusFiles({ ...DEFAULT_PROMETHEUS_PARAMS, namespace: 'Docuchat_Prod' })).toThrow(
      /namespace must be a Kubernetes namespace name/,
    );
    expect(() => renderPrometheusFiles({ ...DEFAULT_PROMETHEUS_PARAMS, memoryLimitBytes: 0 })).toThrow(
      /memoryLimitBytes must be a positive whole number of bytes/,
    );
    expect(() => renderPrometheusFiles({ ...DEFAULT_PROMETHEUS_PARAMS, memoryLimitBytes: 1.5 })).toThrow(
      /memoryLimitBytes/,
    );
    expect(() => renderPrometheusFiles({ ...DEFAULT_PROMETHEUS_PARAMS, metricsPort: 70000 })).toThrow(
      /metricsPort/,
    );
  });

  it('renders the same bytes every time', () => {
    expect(renderPrometheusFiles(DEFAULT_PROMETHEUS_PARAMS)).toEqual(
      renderPrometheusFiles(DEFAULT_PROMETHEUS_PARAMS),
    );
  });
});

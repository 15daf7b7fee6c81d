/**
 * The bridge to `alerts-ts` and `dashboards-ts`: their typed builders render the Prometheus configuration,
 * the alert rules and the Grafana files for one stack from the deployment facts infra hands over.
 */
import { renderPrometheusFiles } from '../alerts-ts/index.js';
import { grafanaFileTargets, renderGrafanaFiles } from '../dashboards-ts/index.js';
import type { ObservabilityFacts, ObservabilityFiles } from './chart.js';
import { PROMETHEUS_PORT } from './components/prometheus.js';
import { resourceNames } from './names.js';

export function renderObservability(facts: ObservabilityFacts): ObservabilityFiles {
  const grafanaParams = { prometheusUrl: `http://${resourceNames.prometheus}:${PROMETHEUS_PORT}` };
  return {
    prometheus: {
      ...renderPrometheusFiles({
        namespace: facts.namespace,
        backendComponent: facts.backendComponent,
        memoryLimitBytes: facts.memoryLimitBytes,
        runbookBaseUrl: facts.runbookBaseUrl,
      }),
    },
    grafana: { files: { ...renderGrafanaFiles(grafanaParams) }, targets: grafanaFileTargets(grafanaParams) },
  };
}

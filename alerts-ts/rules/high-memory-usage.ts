import { processMetrics } from '../../app/telemetry/metrics.js';
import type { ResolvedPrometheusParams } from '../params.js';
import { div, external, externalSeries, gt } from '../promql.js';
import { constant, firingAlert, inputExternalSeries } from '../promtool.js';
import { type AlertRule, alertRule, runbookUrl } from '../rule.js';

/** Share of the container memory limit above which the pod is close to being OOM-killed (the seed's 90 %). */
export const MEMORY_LIMIT_RATIO_THRESHOLD = 0.9;

const residentMemory = externalSeries(processMetrics.residentMemoryBytes, 'prom-client-default');

export function highMemoryUsage(p: ResolvedPrometheusParams): AlertRule {
  return alertRule(
    {
      alert: 'HighMemoryUsage',
      // The limit is the Deployment's own (a builder parameter), so the alert moves when the limit does.
      expr: gt(
        div(external(residentMemory, { job: p.jobName }), p.memoryLimitBytes),
        MEMORY_LIMIT_RATIO_THRESHOLD,
      ),
      for: '5m',
      severity: 'warning',
      annotations: {
        summary: 'Backend pod {{ $labels.pod }} is close to its memory limit',
        description:
          '{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its container memory limit.',
        runbook_url: runbookUrl('HighMemoryUsage', p.runbookBaseUrl),
      },
    },
    (rule) => {
      const target = {
        job: p.jobName,
        instance: '10.42.0.17:8000',
        namespace: p.namespace,
        pod: 'docuchat-backend-7d9f8b6c5d-x2x9q',
      };
      const firingShare = (1 + MEMORY_LIMIT_RATIO_THRESHOLD) / 2;
      const bytes = (share: number) => Math.round(p.memoryLimitBytes * share);
      return [
        {
          name: 'HighMemoryUsage stays quiet just below the threshold',
          interval: '1m',
          input_series: [
            inputExternalSeries(
              residentMemory,
              target,
              constant(bytes(MEMORY_LIMIT_RATIO_THRESHOLD - 0.01), 15),
            ),
          ],
          alert_rule_test: [{ eval_time: '15m', alertname: rule.alert, exp_alerts: [] }],
        },
        {
          name: 'HighMemoryUsage waits for its for duration, then fires above the threshold',
          interval: '1m',
          input_series: [inputExternalSeries(residentMemory, target, constant(bytes(firingShare), 15))],
          alert_rule_test: [
            { eval_time: '4m', alertname: rule.alert, exp_alerts: [] },
            {
              eval_time: '6m',
              alertname: rule.alert,
              exp_alerts: [
                firingAlert(rule, { labels: target, value: bytes(firingShare) / p.memoryLimitBytes }),
              ],
            },
          ],
        },
      ];
    },
  );
}

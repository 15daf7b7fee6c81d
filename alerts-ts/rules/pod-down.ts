import type { ResolvedPrometheusParams } from '../params.js';
import { eq, external, upSeries } from '../promql.js';
import { firingAlert, inputExternalSeries } from '../promtool.js';
import { type AlertRule, alertRule, runbookUrl } from '../rule.js';

export function podDown(p: ResolvedPrometheusParams): AlertRule {
  return alertRule(
    {
      alert: 'PodDown',
      // A target exists while its pod exists; `up == 0` means the pod is there but does not answer.
      expr: eq(external(upSeries, { job: p.jobName }), 0),
      // Two minutes: longer than a normal restart's readiness gap, short enough to page before users notice.
      for: '2m',
      severity: 'critical',
      annotations: {
        summary: 'Backend pod {{ $labels.pod }} is down',
        description:
          'Prometheus cannot scrape {{ $labels.pod }} ({{ $labels.instance }}) in namespace {{ $labels.namespace }}: the pod exists but its metrics endpoint does not answer.',
        runbook_url: runbookUrl('PodDown', p.runbookBaseUrl),
      },
    },
    (rule) => {
      const target = {
        job: p.jobName,
        instance: '10.42.0.17:8000',
        namespace: p.namespace,
        pod: 'docuchat-backend-7d9f8b6c5d-x2x9q',
      };
      const healthy = { ...target, instance: '10.42.0.18:8000', pod: 'docuchat-backend-7d9f8b6c5d-k4j7m' };
      return [
        {
          name: 'PodDown stays quiet while every pod answers',
          interval: '1m',
          input_series: [
            inputExternalSeries(upSeries, target, '1x10'),
            inputExternalSeries(upSeries, healthy, '1x10'),
          ],
          alert_rule_test: [{ eval_time: '10m', alertname: rule.alert, exp_alerts: [] }],
        },
        {
          name: 'PodDown waits for its for duration, then fires for the silent pod only',
          interval: '1m',
          // Up for 2 minutes, then down from minute 2 on.
          input_series: [
            inputExternalSeries(upSeries, target, '1 1 0x10'),
            inputExternalSeries(upSeries, healthy, '1x12'),
          ],
          alert_rule_test: [
            { eval_time: '3m', alertname: rule.alert, exp_alerts: [] },
            {
              eval_time: '5m',
              alertname: rule.alert,
              exp_alerts: [firingAlert(rule, { labels: target })],
            },
          ],
        },
      ];
    },
  );
}

import { metrics } from '../../app/telemetry/metrics.js';
import type { ResolvedPrometheusParams } from '../params.js';
import { div, gt, histogramCount, rate, sum } from '../promql.js';
import { firingAlert, growing, inputHistogramSeries } from '../promtool.js';
import { type AlertRule, alertRule, runbookUrl } from '../rule.js';

/** Share of API responses with a 5xx status above which users notice failures (the seed's 5 %). */
export const ERROR_RATIO_THRESHOLD = 0.05;

export function highErrorRate(p: ResolvedPrometheusParams): AlertRule {
  const requests = metrics.httpRequestDurationSeconds;
  const all = sum(rate(histogramCount(requests, { job: p.jobName }), '5m'));
  const failed = sum(rate(histogramCount(requests, { job: p.jobName, status: { re: '5..' } }), '5m'));
  return alertRule(
    {
      alert: 'HighErrorRate',
      expr: gt(div(failed, all), ERROR_RATIO_THRESHOLD),
      for: '5m',
      severity: 'critical',
      annotations: {
        summary: 'DocuChat API requests are failing with server errors',
        description:
          '{{ $value | humanizePercentage }} of API requests in the last 5 minutes ended with a 5xx status.',
        runbook_url: runbookUrl('HighErrorRate', p.runbookBaseUrl),
      },
    },
    (rule) => {
      // 1000 requests a minute, of which a share fails; the condition holds from the first rate at 1m.
      const perMinute = 1000;
      const traffic = (errorShare: number) => {
        const failedPerMinute = Math.round(perMinute * errorShare);
        return [
          inputHistogramSeries(
            requests,
            'count',
            { job: p.jobName, method: 'GET', endpoint: '/api/v1/documents', status: '200' },
            growing(perMinute - failedPerMinute, 20),
          ),
          inputHistogramSeries(
            requests,
            'count',
            { job: p.jobName, method: 'POST', endpoint: '/api/v1/chat', status: '500' },
            growing(failedPerMinute, 20),
          ),
        ];
      };
      const firingShare = ERROR_RATIO_THRESHOLD * 2;
      return [
        {
          name: 'HighErrorRate stays quiet at half the threshold',
          interval: '1m',
          input_series: traffic(ERROR_RATIO_THRESHOLD / 2),
          alert_rule_test: [{ eval_time: '15m', alertname: rule.alert, exp_alerts: [] }],
        },
        {
          name: 'HighErrorRate waits for its for duration, then fires at twice the threshold',
          interval: '1m',
          input_series: traffic(firingShare),
          alert_rule_test: [
            { eval_time: rule.for, alertname: rule.alert, exp_alerts: [] },
            {
              eval_time: '7m',
              alertname: rule.alert,
              exp_alerts: [firingAlert(rule, { value: firingShare })],
            },
          ],
        },
      ];
    },
  );
}

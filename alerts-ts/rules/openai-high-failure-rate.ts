import { metrics, OPENAI_REQUEST_STATUS } from '../../app/telemetry/metrics.js';
import type { ResolvedPrometheusParams } from '../params.js';
import { div, gt, rate, series, sum } from '../promql.js';
import { firingAlert, growing, inputSeries } from '../promtool.js';
import { type AlertRule, alertRule, runbookUrl } from '../rule.js';

/** Failed share of language-model calls, per model, above which answers degrade (the seed's 10 %). */
export const OPENAI_FAILURE_RATIO_THRESHOLD = 0.1;

export function openaiHighFailureRate(p: ResolvedPrometheusParams): AlertRule {
  const calls = metrics.openaiRequestTotal;
  // Per model: with a fallback chain, a dead primary hides behind a healthy fallback in an overall ratio.
  const failed = sum(rate(series(calls, { job: p.jobName, status: OPENAI_REQUEST_STATUS.error }), '5m'), [
    'model',
  ]);
  const all = sum(rate(series(calls, { job: p.jobName }), '5m'), ['model']);
  return alertRule(
    {
      alert: 'OpenAIHighFailureRate',
      expr: gt(div(failed, all), OPENAI_FAILURE_RATIO_THRESHOLD),
      for: '5m',
      severity: 'critical',
      annotations: {
        summary: 'Calls to the language model {{ $labels.model }} are failing',
        description:
          '{{ $value | humanizePercentage }} of calls to {{ $labels.model }} failed in the last 5 minutes.',
        runbook_url: runbookUrl('OpenAIHighFailureRate', p.runbookBaseUrl),
      },
    },
    (rule) => {
      const perMinute = 100;
      const calls_ = (model: string, errorShare: number) => {
        const errors = Math.round(perMinute * errorShare);
        return [
          inputSeries(
            calls,
            { job: p.jobName, tenant: 'demo-corp', model, status: OPENAI_REQUEST_STATUS.success },
            growing(perMinute - errors, 20),
          ),
          inputSeries(
            calls,
            { job: p.jobName, tenant: 'demo-corp', model, status: OPENAI_REQUEST_STATUS.error },
            growing(errors, 20),
          ),
        ];
      };
      const firingShare = OPENAI_FAILURE_RATIO_THRESHOLD * 2;
      return [
        {
          name: 'OpenAIHighFailureRate stays quiet at half the threshold',
          interval: '1m',
          input_series: calls_('gpt-4o', OPENAI_FAILURE_RATIO_THRESHOLD / 2),
          alert_rule_test: [{ eval_time: '15m', alertname: rule.alert, exp_alerts: [] }],
        },
        {
          name: 'OpenAIHighFailureRate waits for its for duration, then fires for the failing model only',
          interval: '1m',
          input_series: [...calls_('gpt-4o', firingShare), ...calls_('gpt-4o-mini', 0)],
          alert_rule_test: [
            { eval_time: rule.for, alertname: rule.alert, exp_alerts: [] },
            {
              eval_time: '7m',
              alertname: rule.alert,
              exp_alerts: [firingAlert(rule, { labels: { model: 'gpt-4o' }, value: firingShare })],
            },
          ],
        },
      ];
    },
  );
}

import { metrics } from '../../app/telemetry/metrics.js';
import type { ResolvedPrometheusParams } from '../params.js';
import { gt, rate, series, sum } from '../promql.js';
import { firingAlert, growing, inputSeries } from '../promtool.js';
import { type AlertRule, alertRule, runbookUrl } from '../rule.js';

/** Fallbacks per second across all tenants above which the primary model is effectively out (the seed's 10/s). */
export const FALLBACKS_PER_SECOND_THRESHOLD = 10;

export function excessiveMlFallbacks(p: ResolvedPrometheusParams): AlertRule {
  const fallbacks = metrics.mlFallbackTotal;
  return alertRule(
    {
      alert: 'ExcessiveMLFallbacks',
      expr: gt(sum(rate(series(fallbacks, { job: p.jobName }), '5m')), FALLBACKS_PER_SECOND_THRESHOLD),
      for: '5m',
      severity: 'warning',
      annotations: {
        summary: 'Many answers fall back to the next model in the chain',
        description:
          '{{ $value | humanize }} answers per second fell back to another model over the last 5 minutes.',
        runbook_url: runbookUrl('ExcessiveMLFallbacks', p.runbookBaseUrl),
      },
    },
    (rule) => {
      const perSecond = (rateValue: number) => [
        inputSeries(
          fallbacks,
          { job: p.jobName, from_model: 'gpt-4o', to_model: 'gpt-4o-mini', tenant: 'demo-corp' },
          growing(rateValue * 60, 20),
        ),
      ];
      const firingRate = FALLBACKS_PER_SECOND_THRESHOLD * 2;
      return [
        {
          name: 'ExcessiveMLFallbacks stays quiet at half the threshold',
          interval: '1m',
          input_series: perSecond(FALLBACKS_PER_SECOND_THRESHOLD / 2),
          alert_rule_test: [{ eval_time: '15m', alertname: rule.alert, exp_alerts: [] }],
        },
        {
          name: 'ExcessiveMLFallbacks waits for its for duration, then fires at twice the threshold',
          interval: '1m',
          input_series: perSecond(firingRate),
          alert_rule_test: [
            { eval_time: rule.for, alertname: rule.alert, exp_alerts: [] },
            // rate() over 5m only reaches the full value once the window is full of samples (minute 5), so the
            // condition holds from minute 3 and the alert fires at minute 8; at 12m the value is exactly the rate.
            {
              eval_time: '12m',
              alertname: rule.alert,
              exp_alerts: [firingAlert(rule, { value: firingRate })],
            },
          ],
        },
      ];
    },
  );
}

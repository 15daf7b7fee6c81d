import { metrics } from '../../app/telemetry/metrics.js';
import type { ResolvedPrometheusParams } from '../params.js';
import { and, div, gt, rate, series, sum } from '../promql.js';
import { firingAlert, growing, inputSeries } from '../promtool.js';
import { type AlertRule, alertRule, runbookUrl } from '../rule.js';

/** A tenant's token rate this many times its usual rate is a spike (the seed's "3x"). */
export const TOKEN_SPIKE_FACTOR = 3;

/**
 * Below this rate (tokens per second over the last hour, ≈ 36,000 tokens or 720 Tomans an hour at list price)
 * a tripling is a small team's normal variance, not a cost or abuse problem worth an alert.
 */
export const TOKEN_SPIKE_MIN_TOKENS_PER_SECOND = 10;

/**
 * "Usual" is the same hour one week earlier (`offset 1w`). DocuChat traffic follows office hours and the
 * working week (Saturday to Wednesday, Friday off): against the same hour yesterday every Saturday morning
 * would look like a spike after Friday, and against a 7-day average every working morning would, because
 * daytime traffic is several times the round-the-clock mean. The one-hour window smooths out single large
 * chats. A tenant without history a week ago has no "usual" and is not compared.
 */
export function tokenConsumptionSpike(p: ResolvedPrometheusParams): AlertRule {
  const tokens = series(metrics.openaiTokensTotal, { job: p.jobName });
  const now = sum(rate(tokens, '1h'), ['tenant']);
  const lastWeek = sum(rate(tokens, '1h', { offset: '1w' }), ['tenant']);
  return alertRule(
    {
      alert: 'TokenConsumptionSpike',
      expr: and(gt(div(now, lastWeek), TOKEN_SPIKE_FACTOR), gt(now, TOKEN_SPIKE_MIN_TOKENS_PER_SECOND)),
      for: '15m',
      severity: 'warning',
      annotations: {
        summary: 'Tenant {{ $labels.tenant }} is consuming far more tokens than usual',
        description:
          'Tenant {{ $labels.tenant }} used {{ $value | humanize }} times as many tokens in the last hour as in the same hour a week ago.',
        runbook_url: runbookUrl('TokenConsumptionSpike', p.runbookBaseUrl),
      },
    },
    (rule) => {
      // One sample a minute: a week and two hours of usual traffic (so the `offset 1w` window is always full of
      // history), then an hour and a half at the new rate.
      const before = 7 * 24 * 60 + 120;
      const after = 90;
      const tenantSeries = (tenant: string, usualPerSecond: number, nowPerSecond: number) =>
        inputSeries(
          metrics.openaiTokensTotal,
          { job: p.jobName, tenant, direction: 'in', model: 'gpt-4o' },
          `${growing(usualPerSecond * 60, before)} ${growing(nowPerSecond * 60, after, usualPerSecond * 60 * before + nowPerSecond * 60)}`,
        );
      const usual = TOKEN_SPIKE_MIN_TOKENS_PER_SECOND * 2;
      const firingFactor = TOKEN_SPIKE_FACTOR + 1;
      return [
        {
          name: 'TokenConsumptionSpike stays quiet below the factor, below the floor and without last week',
          interval: '1m',
          input_series: [
            // Twice the usual rate: busy, not a spike.
            tenantSeries('steady-corp', usual, usual * (TOKEN_SPIKE_FACTOR - 1)),
            // Ten times the usual rate, but still below the floor.
            tenantSeries(
              'tiny-corp',
              TOKEN_SPIKE_MIN_TOKENS_PER_SECOND / 20,
              TOKEN_SPIKE_MIN_TOKENS_PER_SECOND / 2,
            ),
            // A new tenant: busy now, nothing a week ago, so no usual level to compare with.
            inputSeries(
              metrics.openaiTokensTotal,
              { job: p.jobName, tenant: 'new-corp', direction: 'in', model: 'gpt-4o' },
              `_x${before} ${growing(usual * 60 * firingFactor, after)}`,
            ),
          ],
          alert_rule_test: [{ eval_time: `${before + after}m`, alertname: rule.alert, exp_alerts: [] }],
        },
        {
          name: 'TokenConsumptionSpike waits for its for duration, then fires for the spiking tenant',
          interval: '1m',
          input_series: [
            tenantSeries('demo-corp', usual, usual * firingFactor),
            tenantSeries('steady-corp', usual, usual),
          ],
          alert_rule_test: [
            // The hour-long window crosses the factor 40 minutes into the spike; 15 minutes later it fires. At 50
            // minutes it is pending, not firing; at 75 the window holds only the new rate, exactly 4 times the usual.
            { eval_time: `${before + 50}m`, alertname: rule.alert, exp_alerts: [] },
            {
              eval_time: `${before + 75}m`,
              alertname: rule.alert,
              exp_alerts: [firingAlert(rule, { labels: { tenant: 'demo-corp' }, value: firingFactor })],
            },
          ],
        },
      ];
    },
  );
}

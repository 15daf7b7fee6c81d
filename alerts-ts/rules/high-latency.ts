import { STREAMING_PATHS } from '../../app/config/http.js';
import { HTTP_DURATION_BUCKETS, metrics } from '../../app/telemetry/metrics.js';
import type { ResolvedPrometheusParams } from '../params.js';
import { gt, histogramBuckets, histogramQuantile, rate, sum } from '../promql.js';
import { firingAlert, growing, inputHistogramSeries } from '../promtool.js';
import { type AlertRule, alertRule, runbookUrl } from '../rule.js';

/** P95 request duration in seconds above which the API feels slow (the seed's 2 s). */
export const LATENCY_P95_THRESHOLD_SECONDS = 2;

/**
 * Routes under the streaming paths are left out: a streamed answer lasts until its last token (often longer
 * than 2 s by design) while the user sees the first words at once. Their model time is on the dashboard.
 */
const STREAMING_ROUTES = `(${STREAMING_PATHS.join('|')})(/.*)?`;

/** Where histogram_quantile lands when every observation falls into the bucket (lower, upper]. */
function quantileInBucket(q: number, lower: number, upper: number): number {
  return lower + (upper - lower) * q;
}

export function highLatency(p: ResolvedPrometheusParams): AlertRule {
  const requests = metrics.httpRequestDurationSeconds;
  const buckets = histogramBuckets(requests, { job: p.jobName, endpoint: { notRe: STREAMING_ROUTES } });
  return alertRule(
    {
      alert: 'HighLatency',
      expr: gt(histogramQuantile(0.95, sum(rate(buckets, '5m'), ['le'])), LATENCY_P95_THRESHOLD_SECONDS),
      for: '10m',
      severity: 'warning',
      annotations: {
        summary: 'DocuChat API responses are slow',
        description:
          'P95 latency of non-streaming API requests is {{ $value | humanizeDuration }} over the last 5 minutes.',
        runbook_url: runbookUrl('HighLatency', p.runbookBaseUrl),
      },
    },
    (rule) => {
      // All requests of a case land in one bucket: the last one at or below half the threshold (quiet), or
      // the first one entirely above twice the threshold (firing). 600 requests a minute.
      const bounds = [...HTTP_DURATION_BUCKETS];
      const fastUpper = bounds.filter((b) => b <= LATENCY_P95_THRESHOLD_SECONDS / 2).at(-1)!;
      const slowIndex = bounds.findIndex((b) => b >= LATENCY_P95_THRESHOLD_SECONDS * 1.2) + 1;
      const slowLower = bounds[slowIndex - 1]!;
      const slowUpper = bounds[slowIndex]!;
      const perMinute = 600;
      const histogram = (endpoint: string, observedUpper: number) =>
        [...bounds, '+Inf' as const].map((le) =>
          inputHistogramSeries(
            requests,
            { bucket: le },
            { job: p.jobName, method: 'GET', endpoint, status: '200' },
            growing(le === '+Inf' || le >= observedUpper ? perMinute : 0, 30),
          ),
        );
      const streamingEndpoint = `${STREAMING_PATHS[0]}`;
      return [
        {
          name: 'HighLatency stays quiet when only streamed chat answers are slow',
          interval: '1m',
          input_series: [...histogram('/api/v1/auth/me', fastUpper), ...histogram(streamingEndpoint, 60)],
          alert_rule_test: [{ eval_time: '20m', alertname: rule.alert, exp_alerts: [] }],
        },
        {
          name: 'HighLatency waits for its for duration, then fires when P95 is well above the threshold',
          interval: '1m',
          input_series: histogram('/api/v1/auth/me', slowUpper),
          alert_rule_test: [
            { eval_time: rule.for, alertname: rule.alert, exp_alerts: [] },
            {
              eval_time: '12m',
              alertname: rule.alert,
              exp_alerts: [firingAlert(rule, { value: quantileInBucket(0.95, slowLower, slowUpper) })],
            },
          ],
        },
      ];
    },
  );
}

import { metrics } from '../../app/telemetry/metrics.js';
import type { ResolvedPrometheusParams } from '../params.js';
import { gt, max, series } from '../promql.js';
import { constant, firingAlert, inputSeries } from '../promtool.js';
import { type AlertRule, alertRule, runbookUrl } from '../rule.js';

/**
 * A document still processing after this long is stuck: a 2,000-page PDF takes minutes, and a document that
 * keeps failing is quarantined after its attempts (3 × the 120 s deadline, plus short leases), so nothing
 * healthy stays in the queue for half an hour.
 */
export const INGESTION_STUCK_SECONDS = 30 * 60;

export function ingestionStuck(p: ResolvedPrometheusParams): AlertRule {
  return alertRule(
    {
      alert: 'IngestionStuck',
      // Every replica reports the same queue (it reads it from the database): the oldest across them.
      expr: gt(
        max(series(metrics.ingestionOldestJobAgeSeconds, { job: p.jobName })),
        INGESTION_STUCK_SECONDS,
      ),
      // Ten minutes: one scrape of a large upload near the threshold is not a page.
      for: '10m',
      severity: 'warning',
      annotations: {
        summary: 'A document has been processing for more than 30 minutes',
        description:
          'The oldest unfinished ingestion job is more than 30 minutes old: documents are not being indexed (no worker is taking jobs, or one is wedged).',
        runbook_url: runbookUrl('IngestionStuck', p.runbookBaseUrl),
      },
    },
    (rule) => {
      const pod = (name: string) => ({ job: p.jobName, namespace: p.namespace, pod: name });
      const a = pod('docuchat-backend-7d9f8b6c5d-x2x9q');
      const b = pod('docuchat-backend-7d9f8b6c5d-k4j7m');
      const stuck = INGESTION_STUCK_SECONDS + 600;
      return [
        {
          name: 'IngestionStuck stays quiet while documents move through the queue',
          interval: '1m',
          input_series: [
            inputSeries(metrics.ingestionOldestJobAgeSeconds, a, '0 30 90 10 0 600 0x20'),
            inputSeries(metrics.ingestionOldestJobAgeSeconds, b, '0 30 90 10 0 600 0x20'),
          ],
          alert_rule_test: [{ eval_time: '25m', alertname: rule.alert, exp_alerts: [] }],
        },
        {
          name: 'IngestionStuck waits for its for duration, then fires once for the whole queue',
          interval: '1m',
          input_series: [
            inputSeries(metrics.ingestionOldestJobAgeSeconds, a, constant(stuck, 20)),
            inputSeries(metrics.ingestionOldestJobAgeSeconds, b, constant(stuck, 20)),
          ],
          alert_rule_test: [
            { eval_time: '5m', alertname: rule.alert, exp_alerts: [] },
            { eval_time: '11m', alertname: rule.alert, exp_alerts: [firingAlert(rule)] },
          ],
        },
      ];
    },
  );
}

/**
 * "Backend Overview": is the API up, fast and healthy? Request rate, latency percentiles, errors by status,
 * active pods, CPU and memory — the seed's panels, from the catalog's HTTP histogram and process metrics —
 * and the ingestion queue (waiting, in progress, failed by reason, how long documents take).
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  div,
  external,
  externalSeries,
  histogramBuckets,
  histogramCount,
  histogramQuantile,
  histogramSum,
  increase,
  max,
  rate,
  scalar,
  series,
  sum,
  upSeries,
} from '../alerts-ts/promql.js';
import { metrics, processMetrics } from '../app/telemetry/metrics.js';
import { datasourceVariable, statPanel, timeSeriesPanel } from './panels.js';
import type { ResolvedGrafanaParams } from './params.js';

export const BACKEND_OVERVIEW_UID = 'docuchat-backend-overview';

const W = '$__rate_interval';

export function backendOverviewDashboard(p: ResolvedGrafanaParams): DashboardBuilder {
  const job = { job: p.jobName };
  const http = metrics.httpRequestDurationSeconds;
  const cpu = externalSeries(processMetrics.cpuSecondsTotal, 'prom-client-default');
  const memory = externalSeries(processMetrics.residentMemoryBytes, 'prom-client-default');
  const latency = (q: number) => ({
    expr: histogramQuantile(q, sum(rate(histogramBuckets(http, job), W), ['le'])),
    legend: `P${Math.round(q * 100)}`,
  });
  const retrieval = metrics.ragRetrievalDurationSeconds;
  const retrievalLatency = (q: number) => ({
    expr: histogramQuantile(q, sum(rate(histogramBuckets(retrieval, job), W), ['le'])),
    legend: `P${Math.round(q * 100)}`,
  });

  return new DashboardBuilder('DocuChat — Backend Overview')
    .uid(BACKEND_OVERVIEW_UID)
    .tags(['docuchat', 'backend'])
    .description('Traffic, latency, errors and resources of the DocuChat API (job docuchat-backend).')
    .editable()
    .timezone('browser')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .withVariable(datasourceVariable())
    .withPanel(
      timeSeriesPanel({
        id: 1,
        title: 'Request rate',
        description: 'API requests per second, by route.',
        unit: 'reqps',
        grid: { x: 0, y: 0, w: 12, h: 8 },
        queries: [{ expr: sum(rate(histogramCount(http, job), W), ['endpoint']), legend: '{{endpoint}}' }],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 2,
        title: 'Latency (P50, P95, P99)',
        description:
          'Request duration percentiles over all routes. Streamed chat answers count until their last token.',
        unit: 's',
        grid: { x: 12, y: 0, w: 12, h: 8 },
        queries: [latency(0.5), latency(0.95), latency(0.99)],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 3,
        title: 'Error rate by status code',
        description: 'Share of all API requests that ended with each 4xx or 5xx status.',
        unit: 'percentunit',
        grid: { x: 0, y: 8, w: 12, h: 8 },
        queries: [
          {
            expr: div(
              sum(rate(histogramCount(http, { ...job, status: { re: '[45]..' } }), W), ['status']),
              scalar(sum(rate(histogramCount(http, job), W))),
            ),
            legend: '{{status}}',
          },
        ],
      }),
    )
    .withPanel(
      statPanel({
        id: 4,
        title: 'Active pods',
        description: 'Backend pods Prometheus scraped successfully at the last scrape.',
        unit: 'short',
        grid: { x: 12, y: 8, w: 12, h: 8 },
        queries: [{ expr: sum(external(upSeries, job)), legend: 'pods up' }],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 5,
        title: 'CPU usage',
        description: 'CPU time per second of each backend process (1 = one full core).',
        unit: 'percentunit',
        grid: { x: 0, y: 16, w: 12, h: 8 },
        queries: [
          { expr: sum(rate(external(cpu, job), W), ['pod', 'instance']), legend: '{{pod}} {{instance}}' },
        ],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 6,
        title: 'Memory usage',
        description:
          'Resident memory of each backend process; the HighMemoryUsage alert compares it with the container limit.',
        unit: 'bytes',
        grid: { x: 12, y: 16, w: 12, h: 8 },
        queries: [{ expr: sum(external(memory, job), ['pod', 'instance']), legend: '{{pod}} {{instance}}' }],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 7,
        title: 'Retrieval latency (P50, P95, P99)',
        description:
          "Time a chat turn spends finding its passages (vector and BM25 search and their fusion, in the team's transaction), before any model is asked.",
        unit: 's',
        grid: { x: 0, y: 24, w: 12, h: 8 },
        queries: [retrievalLatency(0.5), retrievalLatency(0.95), retrievalLatency(0.99)],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 8,
        title: 'Questions with nothing relevant found',
        description:
          'Share of questions answered "nothing relevant found" (no passage passed the relevance floor), by team. A rise means teams ask about what they have not uploaded, or retrieval got worse.',
        unit: 'percentunit',
        grid: { x: 12, y: 24, w: 12, h: 8 },
        queries: [
          {
            expr: div(
              sum(rate(series(metrics.ragNothingFoundTotal, job), W), ['tenant']),
              scalar(sum(rate(histogramCount(retrieval, job), W))),
            ),
            legend: '{{tenant}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 9,
        title: 'Ingestion queue',
        description:
          'Documents waiting to be indexed and being indexed (all teams), documents failed per hour by reason, and the age of the oldest unfinished one (the IngestionStuck alert fires past 30 minutes).',
        unit: 'short',
        grid: { x: 0, y: 32, w: 12, h: 8 },
        queries: [
          { expr: max(series(metrics.ingestionJobsWaiting, job)), legend: 'waiting' },
          { expr: sum(series(metrics.ingestionJobsInProgress, job)), legend: 'in progress' },
          {
            expr: sum(increase(series(metrics.ingestionDocumentsFailedTotal, job), '1h'), ['reason']),
            legend: 'failed per hour: {{reason}}',
          },
          { expr: max(series(metrics.ingestionOldestJobAgeSeconds, job)), legend: 'oldest job age (s)' },
        ],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 10,
        title: 'Ingestion duration and attempts',
        description:
          'Time to index one document (P50, P95) and the average attempts a document took (above 1: crashes, timeouts or restarts).',
        unit: 's',
        grid: { x: 12, y: 32, w: 12, h: 8 },
        queries: [
          ...[0.5, 0.95].map((q) => ({
            expr: histogramQuantile(
              q,
              sum(rate(histogramBuckets(metrics.ingestionDurationSeconds, job), W), ['le']),
            ),
            legend: `P${Math.round(q * 100)}`,
          })),
          {
            expr: div(
              sum(rate(histogramSum(metrics.ingestionAttempts, job), W)),
              sum(rate(histogramCount(metrics.ingestionAttempts, job), W)),
            ),
            legend: 'attempts per document',
          },
        ],
      }),
    );
}

/**
 * "Token Usage & Billing": who uses how many tokens, what it costs at list price, and how the language model
 * behaves (duration, success, fallbacks). Filterable by tenant.
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  div,
  histogramBuckets,
  histogramQuantile,
  increase,
  mul,
  rate,
  series,
  sum,
} from '../alerts-ts/promql.js';
import { metrics, OPENAI_REQUEST_STATUS } from '../app/telemetry/metrics.js';
import { PRICE_PER_1K_TOKENS_TOMANS } from '../billing/pricing.js';
import { datasourceVariable, statPanel, TENANT_MATCHER, tenantVariable, timeSeriesPanel } from './panels.js';
import type { ResolvedGrafanaParams } from './params.js';

export const TOKEN_USAGE_UID = 'docuchat-token-usage';

const W = '$__rate_interval';

export function tokenUsageDashboard(p: ResolvedGrafanaParams): DashboardBuilder {
  const byTenant = { job: p.jobName, tenant: TENANT_MATCHER };
  const tokens = series(metrics.openaiTokensTotal, byTenant);
  const tokens24h = sum(increase(tokens, '24h'), ['tenant']);
  const requests = metrics.openaiRequestTotal;
  const duration = (q: number) => ({
    expr: histogramQuantile(
      q,
      sum(rate(histogramBuckets(metrics.openaiRequestDurationSeconds, byTenant), W), ['le', 'model']),
    ),
    legend: `P${Math.round(q * 100)} {{model}}`,
  });

  return new DashboardBuilder('DocuChat — Token Usage & Billing')
    .uid(TOKEN_USAGE_UID)
    .tags(['docuchat', 'billing'])
    .description('Language-model tokens by tenant, their estimated cost in Tomans, and model health.')
    .editable()
    .timezone('browser')
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .withVariable(datasourceVariable())
    .withVariable(tenantVariable(metrics.openaiTokensTotal, p.jobName))
    .withPanel(
      timeSeriesPanel({
        id: 1,
        title: 'Tokens by tenant',
        description: 'Tokens consumed per second (prompt and completion), by tenant.',
        unit: 'short',
        grid: { x: 0, y: 0, w: 12, h: 8 },
        queries: [{ expr: sum(rate(tokens, W), ['tenant']), legend: '{{tenant}}' }],
      }),
    )
    .withPanel(
      statPanel({
        id: 2,
        title: 'Tokens in the last 24 h',
        description: 'increase(openai_tokens_total[24h]) by tenant — the seed billing query.',
        unit: 'short',
        grid: { x: 12, y: 0, w: 6, h: 8 },
        queries: [{ expr: tokens24h, legend: '{{tenant}}', instant: true }],
      }),
    )
    .withPanel(
      statPanel({
        id: 3,
        title: 'Estimated cost, last 24 h (Tomans)',
        description: `Tokens of the last 24 h × ${PRICE_PER_1K_TOKENS_TOMANS} Tomans per 1000 (billing/pricing.ts), before tenant discounts. Invoices are exact from the usage ledger; this is an estimate.`,
        unit: 'suffix: Tomans',
        grid: { x: 18, y: 0, w: 6, h: 8 },
        queries: [
          {
            expr: mul(div(tokens24h, 1000), Number(PRICE_PER_1K_TOKENS_TOMANS)),
            legend: '{{tenant}}',
            instant: true,
          },
        ],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 4,
        title: 'Fallbacks between models',
        description:
          'Answers per second that fell back from one model to the next (alert: ExcessiveMLFallbacks).',
        unit: 'short',
        grid: { x: 0, y: 8, w: 12, h: 8 },
        queries: [
          {
            expr: sum(rate(series(metrics.mlFallbackTotal, byTenant), W), ['from_model', 'to_model']),
            legend: '{{from_model}} → {{to_model}}',
          },
        ],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 5,
        title: 'OpenAI request duration',
        description: 'Model call duration until the last token, P50 and P95 by model.',
        unit: 's',
        grid: { x: 12, y: 8, w: 12, h: 8 },
        queries: [duration(0.5), duration(0.95)],
      }),
    )
    .withPanel(
      timeSeriesPanel({
        id: 6,
        title: 'OpenAI success rate',
        description: 'Share of model calls that succeeded, by model (alert: OpenAIHighFailureRate).',
        unit: 'percentunit',
        grid: { x: 0, y: 16, w: 24, h: 8 },
        queries: [
          {
            expr: div(
              sum(rate(series(requests, { ...byTenant, status: OPENAI_REQUEST_STATUS.success }), W), [
                'model',
              ]),
              sum(rate(series(requests, byTenant), W), ['model']),
            ),
            legend: '{{model}}',
          },
        ],
      }),
    );
}

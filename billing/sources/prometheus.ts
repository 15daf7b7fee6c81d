import type { Queryable } from '../../app/db/index.js';
import { metrics } from '../../app/telemetry/metrics.js';
import type { BillingPeriod } from '../period.js';
import { tenantsBySlug, type UsageReport } from './usage.js';

/**
 * The seed's usage query, `sum by (tenant) (increase(openai_tokens_total[24h]))`, evaluated at the end of the
 * period. The range is the period's length: 24h, or 23h/25h on a day with a daylight-saving change.
 *
 * Known inexactness (which is why the ledger is the default source and `reconcile` compares the two):
 * - `increase()` extrapolates from the first and last samples inside the window towards its edges, so the result
 *   is fractional and can be slightly above or below the true count; it is rounded to the nearest token.
 * - A counter reset (a backend restart) is compensated, but tokens counted after the last scrape before the
 *   restart are lost.
 * - A scrape gap at either edge of the day (Prometheus down, a pod not yet scraped) moves tokens into the
 *   neighbouring day or loses them; a pod that lived for less than one scrape interval is never seen.
 * - The `tenant` label carries the tenant slug; a series whose slug matches no tenant is reported, not billed.
 */
export function prometheusUsageQuery(period: BillingPeriod): string {
  const seconds = Math.round((period.to.getTime() - period.from.getTime()) / 1000);
  const range = seconds % 3600 === 0 ? `${seconds / 3600}h` : `${seconds}s`;
  return `sum by (tenant) (increase(${metrics.openaiTokensTotal.name}[${range}]))`;
}

export interface PrometheusSample {
  labels: Record<string, string>;
  value: number;
}

/** Evaluates an instant query through Prometheus' HTTP API; throws one readable line on any failure. */
export async function prometheusInstantQuery(
  baseUrl: string,
  query: string,
  at: Date,
  timeoutMs = 30_000,
): Promise<PrometheusSample[]> {
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', query);
  url.searchParams.set('time', String(at.getTime() / 1000));
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new Error(`Prometheus at ${baseUrl} is unreachable: ${(error as Error).message}`, { cause: error });
  }
  const body = (await response.json().catch(() => undefined)) as
    | {
        status?: string;
        error?: string;
        data?: {
          resultType?: string;
          result?: { metric: Record<string, string>; value: [number, string] }[];
        };
      }
    | undefined;
  if (!response.ok || body?.status !== 'success' || body.data?.resultType !== 'vector') {
    throw new Error(
      `Prometheus query failed (HTTP ${response.status}): ${body?.error ?? 'unexpected answer'} — query: ${query}`,
    );
  }
  return (body.data.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** Usage per tenant from Prometheus, rounded to whole tokens (see {@link prometheusUsageQuery}). */
export async function prometheusUsage(
  db: Queryable,
  prometheusUrl: string,
  period: BillingPeriod,
): Promise<UsageReport> {
  const query = prometheusUsageQuery(period);
  const samples = await prometheusInstantQuery(prometheusUrl, query, period.to);
  const bySlug = new Map<string, number>();
  for (const sample of samples) {
    const slug = sample.labels.tenant ?? '';
    const tokens = Math.round(sample.value);
    if (Number.isFinite(tokens) && tokens > 0) bySlug.set(slug, (bySlug.get(slug) ?? 0) + tokens);
  }
  const tenants = await tenantsBySlug(db, [...bySlug.keys()]);
  const report: UsageReport = {
    source: 'prometheus',
    description: `${query} at ${period.to.toISOString()}`,
    usage: [],
    unknownTenants: [],
  };
  for (const [slug, tokens] of [...bySlug].sort(([a], [b]) => a.localeCompare(b))) {
    const tenant = tenants.get(slug);
    if (!tenant) {
      report.unknownTenants.push({ slug, tokens });
      continue;
    }
    report.usage.push({
      tenantId: tenant.id,
      slug,
      name: tenant.name,
      billingEmail: tenant.billing_email,
      discountPercent: tenant.discount_percent,
      tokens,
    });
  }
  return report;
}

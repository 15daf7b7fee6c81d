import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '../../app/telemetry/metrics.js';
import { invoicesForDay } from '../invoices.js';
import { runBillingJob } from '../job.js';
import { createInvoiceMailer } from '../mail.js';
import { billingPeriod } from '../period.js';
import { reconcile } from '../reconcile.js';
import { prometheusUsage, prometheusUsageQuery } from '../sources/prometheus.js';
import { type CounterSeries, startPrometheusWithHistory, type TestPrometheus } from './prometheus.js';
import { addUsage, createTenant, startTestDatabase, type TestDatabase, testConfig } from './support.js';

/**
 * 2025-10-05 in Tehran, scraped every minute:
 * - steady-co: 60 prompt + 40 completion tokens a minute all day → exactly 144,000;
 * - restart-co: 10 tokens a minute, and its backend restarted at noon: the 10 tokens counted between the last
 *   scrape and the restart never reach Prometheus → 14,390 where the ledger says 14,400;
 * - ghost: a `tenant` label with no tenant behind it.
 */
const period = billingPeriod('2025-10-05', 'Asia/Tehran');
const F = period.from.getTime() / 1000;
const T = period.to.getTime() / 1000;
const minutes = (from: number, to: number) =>
  Array.from({ length: (to - from) / 60 + 1 }, (_, i) => from + i * 60);

function steady(labels: Record<string, string>, perMinute: number): CounterSeries {
  return {
    labels,
    samples: minutes(F - 3600, T + 3600).map((t) => [t, ((t - (F - 3600)) / 60) * perMinute]),
  };
}

function restarted(labels: Record<string, string>, perMinute: number, restartAt: number): CounterSeries {
  return {
    labels,
    samples: minutes(F - 3600, T + 3600).map((t) => [
      t,
      t < restartAt ? ((t - (F - 3600)) / 60) * perMinute : ((t - restartAt) / 60) * perMinute,
    ]),
  };
}

let test: TestDatabase;
let prometheus: TestPrometheus;

beforeAll(async () => {
  const series = [
    steady({ tenant: 'steady-co', direction: 'in', model: 'gpt-4o' }, 60),
    steady({ tenant: 'steady-co', direction: 'out', model: 'gpt-4o' }, 40),
    restarted({ tenant: 'restart-co', direction: 'in', model: 'gpt-4o-mini' }, 10, F + 12 * 3600),
    steady({ tenant: 'ghost', direction: 'in', model: 'gpt-4o' }, 1),
  ];
  [test, prometheus] = await Promise.all([
    startTestDatabase(),
    startPrometheusWithHistory(metrics.openaiTokensTotal.name, series),
  ]);
  const steadyCo = await createTenant(test.db, { slug: 'steady-co' });
  const restartCo = await createTenant(test.db, { slug: 'restart-co', discountPercent: '10' });
  await addUsage(test.db, steadyCo.id, '2025-10-05T06:00:00Z', 86_400, 57_600);
  await addUsage(test.db, restartCo.id, '2025-10-05T06:00:00Z', 14_400, 0);
});
afterAll(async () => {
  await Promise.all([test?.close(), prometheus?.close()]);
});

describe('Prometheus usage source', () => {
  it("evaluates the seed's query at the end of the billing day", () => {
    expect(prometheusUsageQuery(period)).toBe('sum by (tenant) (increase(openai_tokens_total[24h]))');
  });

  it('sums every direction and model per tenant slug, rounds to whole tokens, and reports unknown tenants', async () => {
    const report = await prometheusUsage(test.db.pool, prometheus.url, period);
    expect(report.usage.map((u) => [u.slug, u.tokens])).toEqual([
      ['restart-co', 14_390],
      ['steady-co', 144_000],
    ]);
    expect(report.unknownTenants).toEqual([{ slug: 'ghost', tokens: 1_440 }]);
  });

  it('bills from Prometheus with --source prometheus and names the unknown tenant as a failure', async () => {
    const config = testConfig(test, { PROMETHEUS_URL: prometheus.url });
    const lines: string[] = [];
    const result = await runBillingJob({
      db: test.db,
      config,
      day: period.day,
      source: 'prometheus',
      zibal: undefined,
      mailer: createInvoiceMailer({ smtpUrl: undefined, from: config.MAIL_FROM, log: () => {} }),
      print: (l) => lines.push(l),
    });
    const invoices = await invoicesForDay(test.db.pool, period.day);
    expect(invoices.map((i) => [i.tenantSlug, i.source, i.tokens, i.amount])).toEqual([
      ['restart-co', 'prometheus', 14_390, '259.02'], // 14,390 × 20 / 1000 × 0.9
      ['steady-co', 'prometheus', 144_000, '2880.00'],
    ]);
    expect(lines.join('\n')).toContain('• Querying Prometheus for token usage...');
    expect(lines.join('\n')).toContain('Payment link not created: ZIBAL_MERCHANT is not set');
    expect(result.exitCode).toBe(1);
    expect(result.failures.map((f) => f.tenant)).toEqual(['ghost']);
  });

  it('reconciles ledger and Prometheus per tenant, failing above the tolerance', async () => {
    const lines: string[] = [];
    const loose = await reconcile({
      db: test.db,
      prometheusUrl: prometheus.url,
      period,
      tolerancePercent: 1,
      print: () => {},
    });
    expect(loose.rows.filter((r) => r.tenant !== 'ghost').every((r) => r.withinTolerance)).toBe(true);
    const strict = await reconcile({
      db: test.db,
      prometheusUrl: prometheus.url,
      period,
      tolerancePercent: 0.05,
      print: (l) => lines.push(l),
    });
    expect(strict.exitCode).toBe(1);
    const restart = strict.rows.find((r) => r.tenant === 'restart-co')!;
    expect(restart).toMatchObject({ ledgerTokens: 14_400, prometheusTokens: 14_390, withinTolerance: false });
    expect(restart.differencePercent).toBeCloseTo(0.0694, 3);
    expect(strict.rows.find((r) => r.tenant === 'steady-co')).toMatchObject({
      differencePercent: 0,
      withinTolerance: true,
    });
    expect(lines.join('\n')).toContain('❌ restart-co: ledger 14,400, prometheus 14,390, difference 0.07%');
  });
});

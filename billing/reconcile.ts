import type { Database } from '../app/db/index.js';
import { formatCount } from './money.js';
import { type BillingPeriod, jalaliDay } from './period.js';
import { ledgerUsage } from './sources/ledger.js';
import { prometheusUsage } from './sources/prometheus.js';

export interface ReconcileRow {
  tenant: string;
  ledgerTokens: number;
  prometheusTokens: number;
  /** |prometheus − ledger| / ledger × 100; 100 when the ledger has nothing but Prometheus has some. */
  differencePercent: number;
  withinTolerance: boolean;
}

export interface ReconcileResult {
  period: BillingPeriod;
  rows: ReconcileRow[];
  exitCode: 0 | 1;
}

/**
 * Compares, per tenant, the exact ledger sum with the seed's Prometheus query for the same day. Differences come
 * from the Prometheus method's inexactness (see sources/prometheus.ts) or from usage that reached only one side;
 * anything above the tolerance (RECONCILE_TOLERANCE_PERCENT) fails the command.
 */
export async function reconcile(options: {
  db: Database;
  prometheusUrl: string;
  period: BillingPeriod;
  tolerancePercent: number;
  print: (line: string) => void;
}): Promise<ReconcileResult> {
  const { period, print } = options;
  const [ledger, prometheus] = await Promise.all([
    ledgerUsage(options.db.pool, period),
    prometheusUsage(options.db.pool, options.prometheusUrl, period),
  ]);
  const tokens = new Map<string, { ledger: number; prometheus: number }>();
  for (const u of ledger.usage) tokens.set(u.slug, { ledger: u.tokens, prometheus: 0 });
  for (const u of [...prometheus.usage, ...prometheus.unknownTenants]) {
    const entry = tokens.get(u.slug) ?? { ledger: 0, prometheus: 0 };
    entry.prometheus = u.tokens;
    tokens.set(u.slug, entry);
  }
  const rows: ReconcileRow[] = [...tokens]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tenant, t]) => {
      const difference = Math.abs(t.prometheus - t.ledger);
      const differencePercent = t.ledger === 0 ? (difference === 0 ? 0 : 100) : (difference / t.ledger) * 100;
      return {
        tenant,
        ledgerTokens: t.ledger,
        prometheusTokens: t.prometheus,
        differencePercent,
        withinTolerance: differencePercent <= options.tolerancePercent,
      };
    });
  print(
    `• Reconciling ${period.day} (${jalaliDay(period.day).en}, ${period.timeZone}): ledger vs Prometheus`,
  );
  print(`  tolerance ${options.tolerancePercent}%`);
  for (const row of rows) {
    const mark = row.withinTolerance ? '✅' : '❌';
    print(
      `${mark} ${row.tenant}: ledger ${formatCount(row.ledgerTokens)}, prometheus ${formatCount(row.prometheusTokens)}, difference ${row.differencePercent.toFixed(2)}%`,
    );
  }
  const bad = rows.filter((r) => !r.withinTolerance);
  if (rows.length === 0) print('• No usage on either side');
  if (bad.length > 0) print(`❌ Above tolerance: ${bad.map((r) => r.tenant).join(', ')}`);
  else print('✅ Ledger and Prometheus agree within tolerance');
  return { period, rows, exitCode: bad.length > 0 ? 1 : 0 };
}

/**
 * Benchmark worker for row 6: one billing run (`runBillingCli`, what `npm run billing` and the CronJob run) over
 * a database with N tenants that all used tokens on the billed day. The database is generated once in SQL and
 * cached under bench/.cache/; every run bills a fresh copy, since a run writes invoices.
 */
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../app/config/index.js';
import { openDatabase } from '../../app/db/index.js';
import { runBillingCli } from '../../billing/cli.js';
import { schemaCacheKey } from '../lib/cache-key.js';
import { CACHE_DIR } from '../lib/child.js';
import { serveWorker } from '../lib/worker-ipc.js';

/** The billed day (Asia/Tehran) and the ledger rows per tenant on it. */
export const BILLED_DAY = '2025-10-05';
const ROWS_PER_TENANT = 3;

const cacheDir = (tenants: number) =>
  path.join(CACHE_DIR, `billing-${tenants}-${schemaCacheKey('billing-ledger-v1')}`);

async function build(tenants: number): Promise<void> {
  const finalDir = cacheDir(tenants);
  const buildDir = `${finalDir}.building`;
  rmSync(buildDir, { recursive: true, force: true });
  const db = await openDatabase(loadConfig({ DATA_DIR: buildDir, DATABASE_POOL_SIZE: '1' }));
  try {
    await db.pool.query(
      `INSERT INTO tenants (slug, name, billing_email, discount_percent)
       SELECT 'team-' || g, 'Team ' || g, 'billing-' || g || '@bench.example', (g % 4) * 5
         FROM generate_series(1, $1) g`,
      [tenants],
    );
    // Each tenant's calls spread over the billed day in Tehran time; 2,000–6,000 tokens a call, so every
    // invoice is above Zibal's minimum and goes all the way (link and e-mail).
    await db.pool.query(
      `INSERT INTO usage_ledger (tenant_id, request_id, attempt, model, input_tokens, output_tokens, created_at)
       SELECT t.id, t.slug || '-' || r, 1, 'gpt-4o', 1500 + (hashtext(t.slug || r) & 2047), 500 + r * 300,
              ($2::date + time '00:30' + r * interval '7 hours') AT TIME ZONE 'Asia/Tehran'
         FROM tenants t, generate_series(1, $1) r`,
      [ROWS_PER_TENANT, BILLED_DAY],
    );
    await db.pool.query('VACUUM ANALYZE');
  } finally {
    await db.close();
  }
  writeFileSync(path.join(buildDir, 'ready'), '');
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(buildDir, finalDir);
}

serveWorker({
  async run({ tenants, env, dryRun }: { tenants: number; env: Record<string, string>; dryRun: boolean }) {
    const cached = existsSync(path.join(cacheDir(tenants), 'ready'));
    if (!cached) await build(tenants);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'docuchat-bench-billing-'));
    try {
      cpSync(cacheDir(tenants), dataDir, { recursive: true });
      let printed = 0;
      let lastError = '';
      const started = performance.now();
      const code = await runBillingCli(
        ['--date', BILLED_DAY, ...(dryRun ? ['--dry-run'] : [])],
        { ...env, DATA_DIR: dataDir },
        {
          print: () => void printed++,
          printError: (line) => {
            lastError = line;
          },
        },
      );
      const seconds = (performance.now() - started) / 1000;
      return { code, seconds, printed, lastError, cached };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
});

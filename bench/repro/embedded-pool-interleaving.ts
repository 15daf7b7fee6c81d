/**
 * `npx tsx bench/repro/embedded-pool-interleaving.ts [POOL_SIZE]` — found while building the benchmarks.
 *
 * Fixed in 34773d9 (app/db/pglite-queue.ts); kept as a regression check. Before that, on the embedded database with its
 * default pool (DATABASE_POOL_SIZE=10), concurrent requests corrupted each other:
 * pglite-socket queues protocol MESSAGES from all connections into PGlite's single session and keeps a
 * connection's messages together only inside a transaction (electric-sql/pglite#1046, PR #977). A query's
 * Parse/Bind/Execute outside a transaction (the auth lookup `loadAuthContext`) interleaves with another
 * connection's, so it binds the other's statement or portal: valid tokens get 401, requests 500 with "unnamed
 * prepared statement does not exist", a tenant receives ANOTHER TENANT'S document list, and after a while the
 * queue deadlocks and every request hangs.
 *
 * Two tenants (3 and 2 documents) read their lists 2,000 times, 16 at a time. Exit 1 when anything went wrong.
 * With POOL_SIZE 1 every answer is right.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWorker } from '../lib/child.js';
import { BENCH_JWT_SECRET } from '../lib/server-env.js';
import { runConcurrently } from '../lib/stats.js';
import type { SeededTenant } from '../workers/docuchat.js';

const poolSize = process.argv[2] ?? '10';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'docuchat-repro-'));
const server = await startWorker('docuchat', {
  args: [
    JSON.stringify({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      JWT_SECRET: BENCH_JWT_SECRET,
      DATABASE_POOL_SIZE: poolSize,
    }),
  ],
});
const tenants = [
  {
    expected: 3,
    ...(await server.request<SeededTenant[]>('seedTenants', { count: 1, documents: 3, prefix: 'alpha' }))[0]!,
  },
  {
    expected: 2,
    ...(await server.request<SeededTenant[]>('seedTenants', { count: 1, documents: 2, prefix: 'beta' }))[0]!,
  },
];
const outcome = { right: 0, otherTenantsList: 0, statuses: {} as Record<string, number>, hung: false };
const work = runConcurrently(2000, 16, async (i) => {
  const tenant = tenants[i % 2]!;
  const response = await fetch(`${server.url}/api/v1/documents`, {
    headers: { authorization: `Bearer ${tenant.token}` },
  });
  const body = (await response.json()) as { documents?: unknown[] };
  outcome.statuses[response.status] = (outcome.statuses[response.status] ?? 0) + 1;
  if (response.status !== 200) return;
  if (body.documents?.length === tenant.expected) outcome.right++;
  else outcome.otherTenantsList++;
});
// A deadlocked queue never answers again: give up after 60 s of no progress.
let last = -1;
await Promise.race([
  work,
  new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const done = Object.values(outcome.statuses).reduce((a, b) => a + b, 0);
      if (done === last) {
        outcome.hung = true;
        clearInterval(timer);
        resolve();
      }
      last = done;
    }, 60_000);
    void work.then(() => clearInterval(timer));
  }),
]);
console.log(`DATABASE_POOL_SIZE=${poolSize}:`, JSON.stringify(outcome));
if (!outcome.hung) await server.stop();
rmSync(dataDir, { recursive: true, force: true });
process.exit(outcome.right === 2000 ? 0 : 1);

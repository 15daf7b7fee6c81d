/**
 * Row 5 — `/api/v1/metrics` render time with 1,000 tenants' series. The series are made the way production
 * makes them: every tenant asks one question answered through the (fake) OpenAI upstream, which moves the token,
 * request, duration and RAG counters per tenant; the chunk gauge is loaded per tenant at start-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWorker, type Worker } from '../lib/child.js';
import type { Line } from '../lib/report.js';
import type { RowDefinition } from '../lib/row.js';
import { docuchatEnv } from '../lib/server-env.js';
import { runConcurrently, summarize } from '../lib/stats.js';
import type { SeededTenant } from '../workers/docuchat.js';

const TARGET_MS = 50;

export const metricsRow: RowDefinition = {
  id: 'metrics',
  title: '5. Metrics render',
  requires: ['app/server/routes/metrics.ts', 'app/server/metrics.ts', 'app/server/routes/chat.ts'],
  async run({ quick, log }) {
    const tenants = quick ? 50 : 1000;
    const scrapes = quick ? 10 : 50;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'docuchat-bench-metrics-'));
    let fake: Worker | undefined;
    let server: Worker | undefined;
    try {
      fake = await startWorker('fake-openai');
      const env = docuchatEnv(dataDir, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'bench' });
      // Seed, then restart on the same data: the chunk gauge per tenant is loaded at start-up.
      const seeder = await startWorker('docuchat', { args: [JSON.stringify(env)] });
      const seeded = await seeder
        .request<SeededTenant[]>('seedTenants', {
          count: tenants,
          documents: 1,
          chunkText: 'Backups run nightly at two and are kept for thirty days in the backup volume.',
          prefix: 'metrics',
        })
        .finally(() => seeder.stop());
      server = await startWorker('docuchat', { args: [JSON.stringify(env)] });
      const url = server.url;
      const started = performance.now();
      let failed = 0;
      await runConcurrently(seeded.length, 4, async (i) => {
        const response = await fetch(`${url}/api/v1/chat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${seeded[i]!.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ message: 'How long are backups kept?', stream: false }),
        });
        await response.text();
        if (response.status !== 200) failed++;
      });
      log(
        `${tenants} tenants asked one question each in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      if (failed) throw new Error(`${failed} of ${tenants} chat requests failed`);

      const time = async (route: string) => {
        const ms: number[] = [];
        let text = '';
        for (let i = 0; i < scrapes + 3; i++) {
          const t0 = performance.now();
          const response = await fetch(`${url}${route}`);
          text = await response.text();
          if (i >= 3) ms.push(performance.now() - t0);
        }
        return { summary: summarize(ms), text };
      };
      const metrics = await time('/api/v1/metrics');
      const floor = await time('/api/v1/health/live');
      const series = metrics.text.split('\n').filter((l) => l && !l.startsWith('#'));
      const tenantSeries = series.filter((l) => l.includes('tenant="')).length;
      log(
        `${series.length} series lines (${tenantSeries} with a tenant label), ${(metrics.text.length / 1024).toFixed(0)} KiB: ` +
          `${metrics.summary.median.toFixed(1)}/${metrics.summary.p95.toFixed(1)} ms`,
      );
      const line: Line = {
        measure: `GET /api/v1/metrics, ${tenants} tenants (${series.length} series lines)`,
        unit: 'ms',
        median: metrics.summary.median,
        p95: metrics.summary.p95,
        n: metrics.summary.n,
        baseline: { label: 'GET /health/live', median: floor.summary.median, p95: floor.summary.p95 },
        ratio: metrics.summary.p95 / floor.summary.p95,
        target: { text: `p95 ≤ ${TARGET_MS} ms`, pass: metrics.summary.p95 <= TARGET_MS },
      };
      return {
        lines: [line],
        notes: [
          `${scrapes} sequential scrapes after 3 warm-up ones; ${tenantSeries} tenant-labelled series lines, ` +
            `${(metrics.text.length / 1024).toFixed(0)} KiB per scrape. Baseline: the HTTP round trip of the liveness route.`,
        ],
        peakRssMb: server.peakRssMb(),
      };
    } finally {
      await server?.stop();
      await fake?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

/**
 * Row 4 — API throughput. autocannon against DocuChat's authenticated, tenant-scoped `GET /api/v1/documents`
 * and against a bare Fastify server answering the same JSON body on the same machine; the ratio is what the
 * whole stack (helmet, request ids, metrics, JWT, the user lookup, the tenant transaction) leaves of Fastify.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startWorker, type Worker } from '../lib/child.js';
import type { Line } from '../lib/report.js';
import type { RowDefinition } from '../lib/row.js';
import { docuchatEnv } from '../lib/server-env.js';
import { summarize, summarizeRate } from '../lib/stats.js';
import type { SeededTenant } from '../workers/docuchat.js';

const CONNECTIONS = 10;
const DOCUMENTS_IN_LIST = 20;
const TARGET_RATIO = 0.5;

interface LoadResult {
  /** Requests completed in each whole second. */
  perSecond: number[];
  latencies: number[];
  non2xx: number;
  errors: number;
}

/** One autocannon run, keeping every response's latency and the per-second completions. */
async function load(url: string, seconds: number, headers: Record<string, string> = {}): Promise<LoadResult> {
  const latencies: number[] = [];
  const completions: number[] = [];
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections: CONNECTIONS, duration: seconds, headers }, (error, r) =>
      error ? reject(error) : resolve(r),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
      completions.push(performance.now() - started);
    });
  });
  const perSecond = new Array<number>(Math.floor(seconds)).fill(0);
  for (const at of completions) {
    const second = Math.floor(at / 1000);
    if (second < perSecond.length) perSecond[second]!++;
  }
  return { perSecond, latencies, non2xx: result.non2xx, errors: result.errors };
}

export const apiRow: RowDefinition = {
  id: 'api',
  title: '4. API throughput',
  requires: ['app/server/routes/documents.ts', 'app/server/plugins/auth.ts'],
  async run({ quick, log }) {
    const seconds = quick ? 3 : 10;
    const rounds = quick ? 1 : 2;
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'docuchat-bench-api-'));
    let server: Worker | undefined;
    let bare: Worker | undefined;
    try {
      server = await startWorker('docuchat', { args: [JSON.stringify(docuchatEnv(dataDir))] });
      const url = server.url;
      const [tenant] = await server.request<SeededTenant[]>('seedTenants', {
        count: 1,
        documents: DOCUMENTS_IN_LIST,
        prefix: 'api',
      });
      const auth = { authorization: `Bearer ${tenant!.token}` };
      const listUrl = `${url}/api/v1/documents`;
      const sample = await fetch(listUrl, { headers: auth });
      if (sample.status !== 200) throw new Error(`GET /api/v1/documents answered ${sample.status}`);
      const body = await sample.text();
      bare = await startWorker('bare-fastify', { args: [body] });
      const bareUrl = `${bare.url}/api/v1/documents`;

      // Warm-up both, then alternate the runs so drifting background load hits both sides alike.
      await load(listUrl, 2, auth);
      await load(bareUrl, 2);
      const docu: LoadResult[] = [];
      const base: LoadResult[] = [];
      const live: LoadResult[] = [];
      const ready: LoadResult[] = [];
      for (let round = 0; round < rounds; round++) {
        docu.push(await load(listUrl, seconds, auth));
        base.push(await load(bareUrl, seconds));
        live.push(await load(`${url}/api/v1/health/live`, seconds));
        ready.push(await load(`${url}/api/v1/health`, seconds));
      }
      const merge = (runs: LoadResult[]) => ({
        perSecond: runs.flatMap((r) => r.perSecond),
        latencies: runs.flatMap((r) => r.latencies),
        non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
        errors: runs.reduce((s, r) => s + r.errors, 0),
      });
      const d = merge(docu);
      const b = merge(base);
      const l = merge(live);
      const r = merge(ready);
      const dRate = summarizeRate(d.perSecond);
      const bRate = summarizeRate(b.perSecond);
      const lRate = summarizeRate(l.perSecond);
      const rRate = summarizeRate(r.perSecond);
      const ratio = dRate.median / bRate.median;
      log(
        `documents ${dRate.median} req/s, bare ${bRate.median} req/s (ratio ${ratio.toFixed(3)}), ` +
          `health/live ${lRate.median} req/s; non-2xx ${d.non2xx}, errors ${d.errors}`,
      );
      const dLat = summarize(d.latencies);
      const bLat = summarize(b.latencies);
      const lines: Line[] = [
        {
          measure: `GET /api/v1/documents (${DOCUMENTS_IN_LIST} documents), ${CONNECTIONS} connections`,
          unit: 'req/s',
          median: dRate.median,
          p95: dRate.p95,
          n: dRate.n,
          baseline: { label: 'bare Fastify, same body', median: bRate.median, p95: bRate.p95 },
          ratio,
          target: { text: `ratio ≥ ${TARGET_RATIO}`, pass: ratio >= TARGET_RATIO && d.non2xx === 0 },
        },
        {
          measure: 'its latency',
          unit: 'ms',
          median: dLat.median,
          p95: dLat.p95,
          n: dLat.n,
          baseline: { label: 'bare Fastify', median: bLat.median, p95: bLat.p95 },
          ratio: dLat.p95 / bLat.p95,
        },
        {
          measure: 'diagnostic: GET /api/v1/health/live (no auth, no database)',
          unit: 'req/s',
          median: lRate.median,
          p95: lRate.p95,
          n: lRate.n,
          baseline: { label: 'bare Fastify', median: bRate.median, p95: bRate.p95 },
          ratio: lRate.median / bRate.median,
        },
        {
          measure: 'diagnostic: GET /api/v1/health (no auth, one database round trip: SELECT 1)',
          unit: 'req/s',
          median: rRate.median,
          p95: rRate.p95,
          n: rRate.n,
          baseline: { label: 'bare Fastify', median: bRate.median, p95: bRate.p95 },
          ratio: rRate.median / bRate.median,
        },
      ];
      const notes = [
        `${rounds} × ${seconds} s per side, alternating, after a 2 s warm-up; req/s per whole second (p95 column: ` +
          'the slow seconds). The health/live line separates the cost of the plugin stack from that of ' +
          'authentication and the database; the health line is the most any route that asks the embedded ' +
          'database anything can reach (one trivial round trip into its single thread).',
      ];
      if (d.non2xx || d.errors)
        notes.push(`DocuChat: ${d.non2xx} non-2xx responses, ${d.errors} connection errors.`);
      if (r.non2xx || r.errors)
        notes.push(`GET /health: ${r.non2xx} non-2xx responses, ${r.errors} connection errors.`);
      return { lines, notes, peakRssMb: server.peakRssMb() };
    } finally {
      await bare?.stop();
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

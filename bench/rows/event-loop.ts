/**
 * Row 8 — the API's event loop while a worst-case document ingests. The server samples its own event-loop
 * delay (perf_hooks.monitorEventLoopDelay, in the server process), and `/api/v1/health` is probed every 50 ms
 * from outside; the same is measured for as long with no ingestion. The documents: an 8 MB Markdown file of
 * prose on few lines (thousands of chunks to cut, tokenize, embed and store) and a file of one 1 MB "word" (the
 * shape that once held the loop for seconds), uploaded one after the other.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWorker, type Worker } from '../lib/child.js';
import { signUp, upload, waitUntilReady } from '../lib/client.js';
import type { Line } from '../lib/report.js';
import type { RowDefinition } from '../lib/row.js';
import { docuchatEnv } from '../lib/server-env.js';
import { summarize } from '../lib/stats.js';

const TARGET_P99_MS = 50;

interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

async function probeHealth(url: string, until: () => boolean, into: number[]) {
  while (!until()) {
    const started = performance.now();
    await fetch(`${url}/api/v1/health`).then((r) => r.arrayBuffer());
    into.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function prose(bytes: number): string {
  const words = ['archive', 'shelf', 'volume', 'record', 'وثیقه', 'کتاب‌ها', 'restore', 'backup', 'tenant'];
  const parts: string[] = ['# Worst case\n\n'];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const sentence = `Line ${i}: the ${words[i % words.length]} ${i % 97} keeps ${words[(i * 7) % words.length]} number ${i}. `;
    parts.push(sentence);
    size += sentence.length;
    if (i % 5000 === 4999) parts.push('\n\n');
  }
  return parts.join('');
}

export const eventLoopRow: RowDefinition = {
  id: 'event-loop',
  title: '8. Event loop under ingestion',
  requires: ['app/server/documents/ingestion-pool.ts', 'app/server/ingest/chunk.ts'],
  async run({ quick, log }) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'docuchat-bench-loop-'));
    let server: Worker | undefined;
    try {
      server = await startWorker('docuchat', {
        args: [JSON.stringify(docuchatEnv(dataDir, { LLM_PROVIDER: 'local' }))],
      });
      const url = server.url;
      const session = await signUp(url, 'loop');
      const idleSeconds = quick ? 3 : 8;

      const idleProbes: number[] = [];
      await server.request('startLoopDelay', {});
      const idleUntil = performance.now() + idleSeconds * 1000;
      await probeHealth(url, () => performance.now() > idleUntil, idleProbes);
      const idle = await server.request<LoopDelay>('stopLoopDelay', {});

      const busyProbes: number[] = [];
      let done = false;
      await server.request('startLoopDelay', {});
      const started = performance.now();
      const prober = probeHealth(url, () => done, busyProbes);
      const big = prose(quick ? 2_000_000 : 8_000_000);
      try {
        const id = await upload(url, session.token, { name: 'worst.md', type: 'text/markdown', bytes: big });
        await upload(url, session.token, {
          name: 'word.txt',
          type: 'text/plain',
          bytes: `${'b'.repeat(1_000_000)}\n`,
        }).catch(
          () => {}, // refused with 422 (no words): parsed all the same
        );
        await waitUntilReady(url, session.token, id, 500, 900_000);
      } finally {
        done = true;
        await prober;
      }
      const seconds = (performance.now() - started) / 1000;
      const busy = await server.request<LoopDelay>('stopLoopDelay', {});
      log(
        `event loop p99 ${busy.p99.toFixed(1)} ms while ingesting (${idle.p99.toFixed(1)} idle); ${seconds.toFixed(0)} s`,
      );

      const idleHealth = summarize(idleProbes);
      const busyHealth = summarize(busyProbes);
      const lines: Line[] = [
        {
          measure:
            'API event-loop delay while a worst-case document ingests (median column: p50, p95 column: p99)',
          unit: 'ms',
          median: busy.p50,
          p95: busy.p99,
          baseline: { label: 'no ingestion', median: idle.p50, p95: idle.p99 },
          ratio: busy.p99 / idle.p99,
          target: { text: `p99 ≤ ${TARGET_P99_MS} ms`, pass: busy.p99 <= TARGET_P99_MS },
        },
        {
          measure: '`GET /api/v1/health` while a worst-case document ingests',
          unit: 'ms',
          median: busyHealth.median,
          p95: busyHealth.p95,
          n: busyHealth.n,
          baseline: { label: 'no ingestion', median: idleHealth.median, p95: idleHealth.p95 },
          ratio: busyHealth.p95 / idleHealth.p95,
        },
      ];
      return {
        lines,
        notes: [
          `Worst case: ${(big.length / 1e6).toFixed(0)} MB of Markdown prose (ready after ${seconds.toFixed(0)} s) and a 1 MB file of one word (refused, no words), uploaded back to back; ` +
            `/health probed every 50 ms (${busyHealth.n} probes, slowest ${busyHealth.max.toFixed(0)} ms; idle slowest ${idleHealth.max.toFixed(0)} ms). ` +
            `Largest event-loop delay: ${busy.max.toFixed(0)} ms under ingestion, ${idle.max.toFixed(0)} ms idle.`,
        ],
        peakRssMb: server.peakRssMb() ?? null,
      };
    } finally {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

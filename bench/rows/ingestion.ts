/**
 * Row 3 — ingestion. Pages per second from the start of the upload until the document is `ready` (parsed,
 * chunked, embedded, stored), for Markdown and PDF, with the local embedder and with a fake OpenAI embeddings
 * upstream that takes a fixed time per request (what batching saves). Baseline: the same toolkit in process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWorker, type Worker, withWorker } from '../lib/child.js';
import { documentStatus, signUp, upload } from '../lib/client.js';
import { type BenchDocumentKind, benchDocument } from '../lib/documents.js';
import type { Line } from '../lib/report.js';
import type { RowDefinition } from '../lib/row.js';
import { docuchatEnv } from '../lib/server-env.js';
import { type Summary, summarizeRate } from '../lib/stats.js';

interface FakeCounts {
  byPath: Record<string, number>;
  embeddingInputs: number;
}

const KINDS: BenchDocumentKind[] = ['markdown', 'pdf'];
const TARGET_MARKDOWN_PAGES_PER_SECOND = 200;
/** Per-request latency of the fake embeddings endpoint (OpenAI's is typically 100–500 ms). */
const EMBEDDING_LATENCY_MS = 100;

export const ingestionRow: RowDefinition = {
  id: 'ingestion',
  title: '3. Ingestion',
  requires: [
    'app/server/documents/ingestion-worker.ts',
    'app/server/routes/documents.ts',
    'test/fixtures/build.ts',
  ],
  async run({ quick, log }) {
    const documents = quick ? 2 : 5;
    const pages = quick ? 10 : 50;
    const lines: Line[] = [];
    const notes: string[] = [];

    const baseline = new Map<BenchDocumentKind, Summary>();
    const pipeline = await withWorker('ingest-pipeline', {}, async (w) => {
      for (const kind of KINDS) {
        const r = await w.request<{ rates: number[]; chunksPerDocument: number }>('run', {
          kind,
          documents,
          pages,
        });
        baseline.set(kind, summarizeRate(r.rates));
        notes.push(`${kind}: ${r.chunksPerDocument.toFixed(0)} chunks per ${pages}-page document.`);
      }
    });
    log(
      `in-process pipeline: ${KINDS.map((k) => `${k} ${baseline.get(k)!.median.toFixed(0)} pages/s`).join(', ')} (RSS ${pipeline.peakRssMb} MiB)`,
    );

    let peak = 0;
    for (const embedder of ['local', 'fake OpenAI'] as const) {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'docuchat-bench-ingest-'));
      let fake: Worker | undefined;
      let server: Worker | undefined;
      try {
        let env = docuchatEnv(dataDir, { LLM_PROVIDER: 'local' });
        if (embedder === 'fake OpenAI') {
          fake = await startWorker('fake-openai');
          await fake.request('setBehavior', {
            model: 'text-embedding-3-small',
            behavior: { latencyMs: EMBEDDING_LATENCY_MS },
          });
          env = docuchatEnv(dataDir, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'bench' });
        }
        server = await startWorker('docuchat', { args: [JSON.stringify(env)] });
        const url = server.url;
        // The moment each document is ready, from the server's own log (see workers/docuchat.ts): polling the
        // API every few milliseconds would put requests on the same single-threaded database as the ingestion.
        const readyAt = new Map<string, number>();
        server.onEvent((event) => {
          if (event.name === 'document-ready') readyAt.set(event.document as string, performance.now());
        });
        const ready = async (id: string): Promise<number> => {
          for (let waited = 0; !readyAt.has(id); waited += 50) {
            // Now and then (rarely enough not to matter) ask whether the document failed instead.
            if (waited > 0 && waited % 2000 === 0) {
              const status = await documentStatus(url, session.token, id);
              if (status !== 'processing' && !readyAt.has(id)) throw new Error(`document ${id}: ${status}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          return readyAt.get(id)!;
        };
        const session = await signUp(url, 'ingest');
        // Warm-up: one small document of each kind (JIT, parser modules, prepared plans).
        for (const kind of KINDS) {
          const doc = benchDocument(kind, 900, 2);
          await ready(await upload(url, session.token, doc));
        }
        for (const kind of KINDS) {
          const before = fake ? await fake.request<FakeCounts>('counts') : undefined;
          const rates: number[] = [];
          for (let i = 0; i < documents; i++) {
            const doc = benchDocument(kind, i, pages);
            const started = performance.now();
            const id = await upload(url, session.token, doc);
            rates.push(doc.pages / (((await ready(id)) - started) / 1000));
          }
          const s = summarizeRate(rates);
          const b = baseline.get(kind)!;
          const isTarget = kind === 'markdown' && embedder === 'local';
          lines.push({
            measure: `${kind === 'pdf' ? 'PDF' : 'Markdown'}, ${embedder} embeddings (${pages}-page documents)`,
            unit: 'pages/s',
            median: s.median,
            p95: s.p95,
            n: s.n,
            baseline: { label: 'toolkit in process', median: b.median, p95: b.p95 },
            ratio: s.median / b.median,
            ...(isTarget && {
              target: {
                text: `≥ ${TARGET_MARKDOWN_PAGES_PER_SECOND} pages/s`,
                pass: s.median >= TARGET_MARKDOWN_PAGES_PER_SECOND,
              },
            }),
          });
          if (fake && before) {
            const after = await fake.request<FakeCounts>('counts');
            const requests = (after.byPath['/v1/embeddings'] ?? 0) - (before.byPath['/v1/embeddings'] ?? 0);
            const inputs = after.embeddingInputs - before.embeddingInputs;
            notes.push(
              `${kind}, fake OpenAI (${EMBEDDING_LATENCY_MS} ms per request): ${(requests / documents).toFixed(1)} embedding requests ` +
                `per document for ${(inputs / documents).toFixed(0)} chunks (${(inputs / Math.max(1, requests)).toFixed(0)} inputs per request).`,
            );
          }
          log(`${embedder}, ${kind}: ${s.median.toFixed(0)} pages/s (slowest ${s.p95.toFixed(0)})`);
        }
        const rss = server.peakRssMb() ?? 0;
        lines.at(-1)!.peakRssMb = rss;
        lines.at(-2)!.peakRssMb = rss;
        peak = Math.max(peak, rss);
      } finally {
        await server?.stop();
        await fake?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
    notes.unshift(
      `Time from starting the upload to the server logging the document ready; ${documents} documents per line; ` +
        'a Markdown page-equivalent is the text of one PDF page (about 500 words).',
    );
    return { lines, notes, peakRssMb: peak };
  },
};

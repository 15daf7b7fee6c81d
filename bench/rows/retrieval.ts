/**
 * Row 2 — retrieval. Hybrid top-10 retrieval (`retrieveChunks` in a tenant transaction, as the chat does; the
 * query embedding is computed before the clock starts) at 10k and 100k chunks on the embedded database, next to
 * an exact sequential-scan vector search on the same data, and recall@10 of the HNSW part against that search.
 */
import { withWorker } from '../lib/child.js';
import type { Line } from '../lib/report.js';
import type { RowDefinition } from '../lib/row.js';
import type { RetrievalMeasurement } from '../workers/retrieval.js';

const TARGET_SIZE = 100_000;
const TARGET_P95_MS = 20;
const TARGET_RECALL = 0.95;

export const retrievalRow: RowDefinition = {
  id: 'retrieval',
  title: '2. Retrieval',
  requires: ['app/server/rag/retrieval.ts', 'app/db/index.ts'],
  async run({ quick, log }) {
    const sizes = quick ? [2_000] : [10_000, TARGET_SIZE];
    const queries = quick ? 20 : 100;
    const lines: Line[] = [];
    const notes: string[] = [];
    let peak: number | null = null;
    for (const size of sizes) {
      const { result: r, peakRssMb } = await withWorker('retrieval', { readyTimeoutMs: 60_000 }, (w) =>
        w.request<RetrievalMeasurement>('measure', { size, queries }),
      );
      peak = Math.max(peak ?? 0, peakRssMb ?? 0);
      const atTarget = size === TARGET_SIZE;
      for (const [label, t] of [
        ['large tenant', r.big],
        ['small tenant', r.small],
      ] as const) {
        const latencyPass = t.hybrid.p95 <= TARGET_P95_MS;
        const recallPass = t.recall >= TARGET_RECALL;
        lines.push({
          measure: `hybrid top-10, ${fmtK(size)} chunks, ${label} (${fmtK(t.chunks)})`,
          unit: 'ms',
          median: t.hybrid.median,
          p95: t.hybrid.p95,
          n: t.hybrid.n,
          baseline: { label: 'exact vector scan', median: t.exact.median, p95: t.exact.p95 },
          ratio: t.hybrid.p95 / t.exact.p95,
          peakRssMb: peakRssMb,
          ...(atTarget && { target: { text: `p95 ≤ ${TARGET_P95_MS} ms`, pass: latencyPass } }),
        });
        lines.push({
          measure: `recall@10 of the vector part, ${fmtK(size)} chunks, ${label}`,
          unit: 'recall',
          median: t.recall,
          p95: null,
          n: t.hybrid.n,
          ...(atTarget && { target: { text: `≥ ${TARGET_RECALL}`, pass: recallPass } }),
        });
        lines.push({
          measure: `recall@10 of the vector part, ε = 1e-3 (ann-benchmarks), ${fmtK(size)} chunks, ${label}`,
          unit: 'recall',
          median: t.recallAnn,
          p95: null,
          n: t.hybrid.n,
        });
        lines.push({
          measure: `source chunk in the hybrid top 10, ${fmtK(size)} chunks, ${label}`,
          unit: 'recall',
          median: t.sourceHit,
          p95: null,
          n: t.hybrid.n,
        });
        if (!t.usesHnsw)
          notes.push(`${fmtK(size)} chunks, ${label}: the planner did not use the HNSW index.`);
        notes.push(
          `${fmtK(size)} chunks, ${label}: recall@10 / p95 of the vector part alone by hnsw.ef_search — ` +
            t.efSweep
              .map(
                (p) =>
                  `${p.ef}: ${p.recall.toFixed(3)} (ε 1e-3: ${p.recallAnn.toFixed(3)}) / ${p.vectorOnly.p95.toFixed(1)} ms`,
              )
              .join(', ') +
            ` (the product sets ${r.efSearch}). The exact vector top 10 holds the question's source chunk for ${pct(t.sourceHitExact)} of the questions.`,
        );
      }
      log(
        `${size}: large ${r.big.hybrid.median.toFixed(1)}/${r.big.hybrid.p95.toFixed(1)} ms recall ${r.big.recall.toFixed(3)}; ` +
          `small ${r.small.hybrid.median.toFixed(1)}/${r.small.hybrid.p95.toFixed(1)} ms recall ${r.small.recall.toFixed(3)}` +
          (r.cached ? ` (cached corpus, opened in ${r.openSeconds.toFixed(1)} s)` : ' (corpus built now)'),
      );
      if (r.build) {
        notes.push(
          `${fmtK(size)} corpus built in this run: ${r.build.buildSeconds.toFixed(0)} s to generate and insert, ` +
            `${r.build.indexSeconds.toFixed(0)} s to build the HNSW index (cached for later runs under bench/.cache/).`,
        );
      }
      notes.push(
        `${fmtK(size)} chunks, large tenant, EXPLAIN ANALYZE of retrieveChunks' statement:\n\n` +
          `  \`\`\`\n${indent(r.big.plan)}\n  \`\`\``,
      );
    }
    notes.unshift(
      `${queries} questions per tenant, each six words of one of its own chunks; local hashing embeddings ` +
        '(512 dimensions); five tenants share the index (60 % / 4 × 10 % of the chunks). Latency includes the tenant ' +
        'transaction (BEGIN, role, tenant setting, COMMIT) as the chat pays it.',
    );
    return { lines, notes, peakRssMb: peak };
  },
};

const pct = (share: number) => `${Math.round(share * 100)} %`;
const fmtK = (n: number) => (n >= 1000 ? `${Math.round(n / 1000)}k` : String(n));
const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

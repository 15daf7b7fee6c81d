/**
 * Benchmark worker: the baseline for row 3 — the ingestion toolkit alone, in process: parse, chunk and embed
 * with the local hashing embedder, without HTTP, the jobs table or the database. What the server does beyond
 * this (upload, durable job, progress updates, storing chunks and their index entries) is the overhead.
 */
import { loadConfig } from '../../app/config/index.js';
import { LocalHashingEmbedder } from '../../app/server/embeddings/local-hashing-embedder.js';
import { chunkDocument, detectDocumentKind, parseDocument } from '../../app/server/ingest/index.js';
import { type BenchDocumentKind, benchDocument } from '../lib/documents.js';
import { serveWorker } from '../lib/worker-ipc.js';

const config = loadConfig({});

serveWorker({
  async run({ kind, documents, pages }: { kind: BenchDocumentKind; documents: number; pages: number }) {
    const embedder = new LocalHashingEmbedder(config.EMBEDDING_DIMENSIONS);
    const rates: number[] = [];
    let chunks = 0;
    // Index 1000+: other documents than the server gets, generated the same way.
    for (let i = -1; i < documents; i++) {
      const doc = benchDocument(kind, 1000 + i, pages);
      const started = performance.now();
      const detected = detectDocumentKind(doc.name, doc.type, doc.bytes);
      const parsed = await parseDocument(detected!, doc.bytes);
      const pieces = chunkDocument(parsed, {
        chunkTokens: config.CHUNK_TOKENS,
        overlapTokens: config.CHUNK_OVERLAP_TOKENS,
      });
      await embedder.embed(
        pieces.map((c) => (c.headingPath.length ? `${c.headingPath.join(' › ')}\n${c.content}` : c.content)),
      );
      // i = -1 is a warm-up (JIT, the tokenizer's tables).
      if (i >= 0) {
        rates.push(doc.pages / ((performance.now() - started) / 1000));
        chunks += pieces.length;
      }
    }
    return { rates, chunksPerDocument: chunks / documents };
  },
});

/**
 * Benchmark worker for row 2: hybrid retrieval on the embedded database (PGlite + pgvector in this process, as
 * in the server) at a given corpus size, and recall@10 of its vector part against an exact search.
 *
 * The corpus is generated straight into SQL (unnest of local-embedder vectors; going through upload would take
 * an hour at 100k chunks) and cached under bench/.cache/, keyed by the migrations, so a re-run opens it in
 * a second. The HNSW index is dropped during the bulk load and rebuilt with the migration's own definition.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { loadConfig } from '../../app/config/index.js';
import { openDatabase, withTenant } from '../../app/db/index.js';
import { LocalHashingEmbedder } from '../../app/server/embeddings/local-hashing-embedder.js';
import {
  candidatesFor,
  efSearchFor,
  hnswScanSettings,
  retrieveChunks,
  retrieveForTenant,
} from '../../app/server/rag/retrieval.js';
import { schemaCacheKey } from '../lib/cache-key.js';
import { CACHE_DIR } from '../lib/child.js';
import { createCorpus, seededRandom } from '../lib/corpus.js';
import { type Summary, summarize } from '../lib/stats.js';
import { serveWorker } from '../lib/worker-ipc.js';

const GENERATOR_VERSION = 'retrieval-corpus-v2';
/** Share of the chunks per tenant: one large tenant and four small ones sharing the same index. */
const TENANT_SHARES = [0.6, 0.1, 0.1, 0.1, 0.1];
const WORDS_PER_CHUNK = 150;
const CHUNKS_PER_DOCUMENT = 200;
const TOP_K = 10;
const DIMENSIONS = Number(loadConfig({}).EMBEDDING_DIMENSIONS);

export interface TenantMeasurement {
  chunks: number;
  /** retrieveChunks in a tenant transaction, per question. */
  hybrid: Summary;
  /** Exact top-10 by a sequential scan, per question: the baseline and the ground truth. */
  exact: Summary;
  /** Mean recall@10 of the vector part with the product's settings (strict: ties at the k-th distance only). */
  recall: number;
  /** The same with ann-benchmarks' tolerance: a neighbour counts when within the k-th exact distance + 1e-3. */
  recallAnn: number;
  /** Share of questions whose source chunk (the one its words were taken from) is in the hybrid top 10. */
  sourceHit: number;
  /** The same for the exact vector top 10: what the vector side could find at best. */
  sourceHitExact: number;
  usesHnsw: boolean;
  /** Condensed EXPLAIN ANALYZE of retrieveChunks' statement for the first question. */
  plan: string;
  /** Recall and vector-part latency at other hnsw.ef_search values. */
  efSweep: { ef: number; recall: number; recallAnn: number; vectorOnly: Summary }[];
}

export interface RetrievalMeasurement {
  cached: boolean;
  /** The product's hnsw.ef_search. */
  efSearch: number;
  openSeconds: number;
  /** Present when the corpus was generated in this run. */
  build: CorpusInfo | undefined;
  big: TenantMeasurement;
  small: TenantMeasurement;
}

interface CorpusInfo {
  chunks: number;
  tenants: { id: string; chunks: number }[];
  buildSeconds: number;
  indexSeconds: number;
}

const progress = (line: string) => process.stderr.write(`  [retrieval] ${line}\n`);

function cacheDir(size: number): string {
  return path.join(CACHE_DIR, `retrieval-${size}-d${DIMENSIONS}-${schemaCacheKey(GENERATOR_VERSION)}`);
}

async function open(dir: string) {
  return openDatabase({ ...loadConfig({ DATA_DIR: dir, DATABASE_POOL_SIZE: '1' }) });
}

/** Generates `size` chunks into a fresh directory, then moves it into place (a half-built cache never counts). */
async function build(size: number): Promise<CorpusInfo> {
  const finalDir = cacheDir(size);
  const buildDir = `${finalDir}.building`;
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  const started = performance.now();
  const db = await open(buildDir);
  const { pool } = db;
  const embedder = new LocalHashingEmbedder(DIMENSIONS);
  const corpus = createCorpus(2024);
  const random = seededRandom(7);
  try {
    const { rows: def } = await pool.query<{ def: string }>(
      `SELECT pg_get_indexdef('chunks_embedding_idx'::regclass) AS def`,
    );
    const indexDefinition = def[0]!.def;
    await pool.query('DROP INDEX chunks_embedding_idx');
    const tenants: CorpusInfo['tenants'] = [];
    let done = 0;
    for (const [t, share] of TENANT_SHARES.entries()) {
      const count = t === TENANT_SHARES.length - 1 ? size - done : Math.round(size * share);
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO tenants (slug, name) VALUES ($1, $1) RETURNING id`,
        [`bench-tenant-${t}`],
      );
      const tenantId = rows[0]!.id;
      tenants.push({ id: tenantId, chunks: count });
      for (let d = 0; d * CHUNKS_PER_DOCUMENT < count; d++) {
        const inDoc = Math.min(CHUNKS_PER_DOCUMENT, count - d * CHUNKS_PER_DOCUMENT);
        const { rows: docs } = await pool.query<{ id: string }>(
          `INSERT INTO documents (tenant_id, name, kind, mime_type, size_bytes, sha256, status, pages_total,
                                  pages_done, chunks_total, chunks_done, embedding_model)
           VALUES ($1, $2, 'markdown', 'text/markdown', 0, md5($2), 'ready', 1, 1, $3, $3, $4) RETURNING id`,
          [tenantId, `t${t}-doc-${d}.md`, inDoc, embedder.model],
        );
        const contents = Array.from({ length: inDoc }, () =>
          corpus.paragraph(WORDS_PER_CHUNK - 20 + Math.floor(random() * 40)),
        );
        await pool.query(
          `INSERT INTO chunks (tenant_id, document_id, ordinal, content, tokens, page_start, page_end, embedding)
           SELECT $1, $2, o, c, $4, 1, 1, e::vector
             FROM unnest($3::text[], $5::text[]) WITH ORDINALITY AS x(c, e, o)`,
          [
            tenantId,
            docs[0]!.id,
            contents,
            Math.round(WORDS_PER_CHUNK * 1.6),
            contents.map((c) => `[${embedder.embedOne(c).join(',')}]`),
          ],
        );
        done += inDoc;
        if (done % 10_000 < inDoc) progress(`${size}: ${done} chunks inserted`);
      }
    }
    const loaded = performance.now();
    progress(`${size}: building the HNSW index (${indexDefinition.replace(/^.* USING /, 'USING ')})`);
    // A build setting, not a product parameter: the graph fits in memory instead of spilling.
    await pool.query(`SET maintenance_work_mem = '512MB'`);
    await pool.query(indexDefinition);
    await pool.query('VACUUM ANALYZE chunks');
    const info: CorpusInfo = {
      chunks: size,
      tenants,
      buildSeconds: (loaded - started) / 1000,
      indexSeconds: (performance.now() - loaded) / 1000,
    };
    writeFileSync(path.join(buildDir, 'corpus.json'), JSON.stringify(info));
    await db.close();
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(buildDir, finalDir);
    progress(`${size}: built in ${info.buildSeconds.toFixed(0)} s + index ${info.indexSeconds.toFixed(0)} s`);
    return info;
  } catch (error) {
    await db.close();
    throw error;
  }
}

interface Neighbour {
  id: string;
  distance: number;
}

/** Top-k by exact cosine distance: a sequential scan, no index. */
async function exactTopK(client: pg.PoolClient, tenantId: string, vector: string, k: number) {
  await client.query('SET LOCAL enable_indexscan = off');
  await client.query('SET LOCAL enable_bitmapscan = off');
  const { rows } = await client.query<Neighbour>(
    `SELECT id, embedding <=> $2::vector AS distance FROM chunks WHERE tenant_id = $1
      ORDER BY embedding <=> $2::vector LIMIT $3`,
    [tenantId, vector, k],
  );
  return rows;
}

/**
 * The vector part of retrieveChunks as it runs there (its session settings and candidate count, re-ranked by
 * distance like its `vec_ranked`), top k. `efSearch` overrides the product's ef_search, for the sweep that shows
 * what a different setting would give.
 */
async function hnswTopK(
  client: pg.PoolClient,
  tenantId: string,
  vector: string,
  k: number,
  efSearch?: number,
) {
  const candidates = candidatesFor(k);
  await client.query(hnswScanSettings(efSearch ?? efSearchFor(candidates)));
  const { rows } = await client.query<Neighbour>(
    `SELECT id, embedding <=> $2::vector AS distance FROM chunks WHERE tenant_id = $1
      ORDER BY embedding <=> $2::vector LIMIT $3`,
    [tenantId, vector, candidates],
  );
  return rows.sort((a, b) => a.distance - b.distance).slice(0, k);
}

/**
 * Share of the true top k found, counting a result as true when it is as near as the k-th exact neighbour
 * (with ties at the k-th distance, any of the tied chunks is a right answer). `epsilon` 1e-6 only absorbs
 * float noise; ann-benchmarks uses 1e-3 (distances within it of the k-th are equally good answers).
 */
function recallAt(exact: Neighbour[], approx: Neighbour[], epsilon = 1e-6): number {
  if (exact.length === 0) return 1;
  const kth = exact.at(-1)!.distance + epsilon;
  return Math.min(exact.length, approx.filter((n) => n.distance <= kth).length) / exact.length;
}

/** ef_search values for the sweep: the product's, and others. */
const PRODUCT_EF = efSearchFor(candidatesFor(TOP_K));
const EF_SWEEP = [...new Set([40, PRODUCT_EF, 200, 400])].sort((a, b) => a - b);

/** Does the planner use the HNSW index for retrieveChunks' query? (EXPLAIN ANALYZE of the real statement.) */
async function explainRetrieval(pool: pg.Pool, tenantId: string, question: string, vector: number[]) {
  return withTenant(pool, tenantId, async (client) => {
    let plan = '';
    const explaining = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return async (text: string, values?: unknown[]) => {
          if (!text.trimStart().startsWith('WITH vec')) return target.query(text, values);
          const result = await target.query(`EXPLAIN (ANALYZE, BUFFERS OFF) ${text}`, values);
          plan = condensePlan(result.rows.map((r: Record<string, string>) => String(r['QUERY PLAN'])));
          return { rows: [] };
        };
      },
    });
    await retrieveChunks(explaining as pg.PoolClient, {
      tenantId,
      queryText: question,
      queryVector: vector,
      topK: TOP_K,
      minSimilarity: 0.2,
    });
    return plan;
  });
}

/** The plan's scans, sorts and timings, without costs and without the 512 numbers of the query vector. */
function condensePlan(lines: string[]): string {
  return lines
    .filter((l) =>
      /Scan|Sort:|Sort Key|Limit|One-Time Filter|Execution Time|Planning Time|Rows Removed/.test(l),
    )
    .map((l) =>
      l
        .replace(/'\[[-0-9.,e]+\]'::vector/g, "'[query vector]'::vector")
        .replace(/'(''[^']*'' \| )+''[^']*'''::tsquery/g, "'<any-word query>'::tsquery")
        .replace(/'\{[^}]*\}'::text\[\]/g, "'<tier queries>'::text[]")
        .replace(/ *\(cost=[^)]*\)/g, '')
        .replace(/Filter: .*current_setting.*$/, 'Filter: tenant + row-level security'),
    )
    .join('\n');
}

serveWorker({
  async measure({ size, queries }: { size: number; queries: number }): Promise<RetrievalMeasurement> {
    const dir = cacheDir(size);
    const cached = existsSync(path.join(dir, 'corpus.json'));
    const info = cached ? undefined : await build(size);
    const openStarted = performance.now();
    const db = await open(dir);
    const openSeconds = (performance.now() - openStarted) / 1000;
    try {
      const { pool } = db;
      const { rows: tenantRows } = await pool.query<{ id: string; chunks: number }>(
        `SELECT tenant_id AS id, count(*)::int AS chunks FROM chunks GROUP BY tenant_id ORDER BY 2 DESC`,
      );
      const big = tenantRows[0]!;
      const small = tenantRows.at(-1)!;
      const embedder = new LocalHashingEmbedder(DIMENSIONS);
      const random = seededRandom(99);
      const measured: Partial<Record<'big' | 'small', TenantMeasurement>> = {};
      for (const [label, tenant] of [
        ['big', big],
        ['small', small],
      ] as const) {
        // Questions made of a few words of the tenant's own chunks, as users ask about what they uploaded.
        const { rows: samples } = await pool.query<{ id: string; content: string }>(
          `SELECT id, content FROM chunks WHERE tenant_id = $1 ORDER BY md5(id::text || $2) LIMIT $3`,
          [tenant.id, String(size), queries],
        );
        const questions = samples.map((s) => {
          const words = s.content.replace(/[.]/g, '').split(' ');
          const at = Math.floor(random() * Math.max(1, words.length - 6));
          return `How does ${words
            .slice(at, at + 6)
            .join(' ')
            .toLowerCase()} work?`;
        });
        const vectors = questions.map((q) => embedder.embedOne(q));
        // The product's call, as the chat makes it: in a tenant transaction of its own.
        const retrieve = (i: number) =>
          retrieveForTenant(pool, {
            tenantId: tenant.id,
            queryText: questions[i]!,
            queryVector: vectors[i]!,
            topK: TOP_K,
            minSimilarity: 0.2,
          });
        // Warm-up: the first queries load index pages and plan caches.
        for (let i = 0; i < Math.min(5, questions.length); i++) {
          await retrieve(i);
        }
        const hybrid: number[] = [];
        const exact: number[] = [];
        let sourceHit = 0;
        let sourceHitExact = 0;
        const sweep = EF_SWEEP.map((ef) => ({ ef, recall: 0, recallAnn: 0, ms: [] as number[] }));
        for (let i = 0; i < questions.length; i++) {
          const vector = `[${vectors[i]!.join(',')}]`;
          let started = performance.now();
          const answer = await retrieve(i);
          hybrid.push(performance.now() - started);
          const source = samples[i]!.id;
          if (answer.some((chunk) => chunk.chunkId === source)) sourceHit++;
          started = performance.now();
          const truth = await withTenant(pool, tenant.id, (c) => exactTopK(c, tenant.id, vector, TOP_K));
          exact.push(performance.now() - started);
          if (truth.some((n) => n.id === source)) sourceHitExact++;
          for (const point of sweep) {
            started = performance.now();
            const found = await withTenant(pool, tenant.id, (c) =>
              hnswTopK(c, tenant.id, vector, TOP_K, point.ef),
            );
            point.ms.push(performance.now() - started);
            point.recall += recallAt(truth, found) / questions.length;
            point.recallAnn += recallAt(truth, found, 1e-3) / questions.length;
          }
        }
        const plan = await explainRetrieval(pool, tenant.id, questions[0]!, vectors[0]!);
        measured[label] = {
          chunks: tenant.chunks,
          hybrid: summarize(hybrid),
          exact: summarize(exact),
          // The product's own setting is one of the sweep's points.
          recall: sweep.find((p) => p.ef === PRODUCT_EF)!.recall,
          recallAnn: sweep.find((p) => p.ef === PRODUCT_EF)!.recallAnn,
          sourceHit: sourceHit / questions.length,
          sourceHitExact: sourceHitExact / questions.length,
          usesHnsw: plan.includes('chunks_embedding_idx'),
          efSweep: sweep.map((p) => ({
            ef: p.ef,
            recall: p.recall,
            recallAnn: p.recallAnn,
            vectorOnly: summarize(p.ms),
          })),
          plan,
        };
      }
      return {
        cached,
        efSearch: PRODUCT_EF,
        openSeconds,
        build: info,
        big: measured.big!,
        small: measured.small!,
      };
    } finally {
      await db.close();
    }
  },
});

import type pg from 'pg';
import { withTenant } from '../../db/index.js';
import { encodeVector } from '../../db/vector.js';

export interface RetrievedChunk {
  chunkId: string;
  documentId: string;
  documentName: string;
  content: string;
  pageStart: number | null;
  pageEnd: number | null;
  headingPath: string[];
  /** Cosine similarity of the chunk to the question, when the vector search found it. */
  similarity: number | null;
  /** True when the BM25 search matched the question's words. */
  textMatch: boolean;
  /** Okapi BM25 score of the chunk (null when only the vector search found it). */
  bm25: number | null;
  /** BM25 score over the question's idf mass: 1 is every term once at average length (see migration 008). */
  relevance: number | null;
  /** Weighted reciprocal-rank-fusion score; higher is better. */
  score: number;
}

/** Which lists retrieval ranks by: both fused (the product), or one alone (the eval compares them). */
export type RetrievalMode = 'hybrid' | 'bm25' | 'vector';

export interface RetrievalOptions {
  tenantId: string;
  queryText: string;
  queryVector: number[];
  topK: number;
  /** Least cosine similarity for a vector-only hit to count as relevant. */
  minSimilarity: number;
  /**
   * Earlier user messages of the conversation, newest first: their words count at {@link HISTORY_WEIGHTS}, so a
   * follow-up ("and how do I turn that off?") finds the document the conversation is about.
   */
  previousTurns?: readonly string[];
  /** Weight of the vector list in the fusion (BM25's is 1). @default {@link vectorWeightFor} the local embedder */
  vectorWeight?: number;
  /** Least BM25 relevance for a text hit to count without vector support. @default {@link MIN_RELEVANCE} */
  minRelevance?: number;
  /** @default 'hybrid' */
  mode?: RetrievalMode;
  /** Only these documents (a collection); statistics stay the tenant's. */
  documentIds?: readonly string[];
}

/**
 * Weight of the vector list against BM25's 1 in the fusion, by embedding model. The offline hashing embedder only
 * measures word overlap, which BM25 ranks better: on the eval (bench/results/eval.md, `npm run eval -- --sweep`)
 * every weight above 0 lowered hit@1 (0.968 at 0, 0.957 at 0.05, 0.936 at 0.15, 0.926 at 0.3, 0.915 at 1), so it
 * only brings passages BM25 did not find, after BM25's, and breaks ties. A real embedding model brings meaning
 * BM25 lacks and gets an equal vote (not measured here: no such model is installable offline).
 */
export const VECTOR_WEIGHTS = { local: 0, model: 1 } as const;

export const vectorWeightFor = (embeddingModel: string) =>
  embeddingModel.startsWith('local-') ? VECTOR_WEIGHTS.local : VECTOR_WEIGHTS.model;

/**
 * Least BM25 relevance of a passage found by words alone, from the eval's sweep: at 0.4 (with the similarity floor
 * at 0.3) 5 of 9 unanswerable questions get "nothing found" and no answerable one does; higher floors refuse answerable ones
 * start to be refused.
 */
export const MIN_RELEVANCE = 0.4;

/** Weights of the question and of the user's earlier messages, newest first (set on the eval's follow-ups). */
export const HISTORY_WEIGHTS = [1, 0.4, 0.2] as const;

/**
 * hnsw.ef_search, the HNSW scan's candidate list. Each side contributes twice topK candidates (20 for 10): with 4×,
 * the scan for a small team (a tenth of a shared index) fetched and filtered some 400 other teams' rows per
 * question. The 4× had also widened the search for a large team (40 of its rows took the scan past its first 40
 * candidates); a list of 100 makes up for that in recall@10 (bench row 2) at less cost than fetching more rows.
 */
export const HNSW_EF_SEARCH = 100;

/** Candidates each side (vector, full text) brings to the fusion: twice topK, at least 20. */
export const candidatesFor = (topK: number) => Math.max(topK * 2, 20);

/** The product's hnsw.ef_search for `candidates` vector candidates: the list must hold them all. */
export const efSearchFor = (candidates: number) => Math.max(candidates, HNSW_EF_SEARCH);

/** The session settings of retrieval's HNSW scan (iterative, so a small tenant in a shared index gets its topK). */
export const hnswScanSettings = (efSearch: number) =>
  `SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = ${efSearch}`;

/** RRF's k: dampens the weight of top ranks so neither list dominates (the usual value from the paper). */
const RRF_K = 60;

/**
 * Hybrid retrieval in Postgres alone: the nearest chunks by cosine distance (HNSW) and the best chunks by Okapi
 * BM25 over the tenant's own statistics (tenant_bm25_matches, migration 008), merged by weighted reciprocal rank
 * fusion. A chunk counts as relevant when its BM25 relevance or its similarity passes its floor; when none does,
 * the chat says nothing was found.
 *
 * Runs inside a tenant transaction. The HNSW scan is iterative (pgvector ≥ 0.8): with many tenants in one index,
 * the scan goes on past the first candidates until it has `topK` of this tenant's chunks, so a small tenant's
 * results are never starved by a large one's.
 */
export async function retrieveChunks(
  client: pg.PoolClient,
  options: RetrievalOptions,
): Promise<RetrievedChunk[]> {
  await client.query(scanSettingsFor(options.topK));
  return hybridQuery(client, options);
}

/**
 * {@link retrieveChunks} in a tenant transaction of its own, as a chat turn runs it: the scan settings go with
 * BEGIN, one round trip fewer into the embedded database's single queue.
 */
export function retrieveForTenant(pool: pg.Pool, options: RetrievalOptions): Promise<RetrievedChunk[]> {
  return withTenant(pool, options.tenantId, (db) => hybridQuery(db, options), {
    settings: scanSettingsFor(options.topK),
  });
}

const scanSettingsFor = (topK: number) => hnswScanSettings(efSearchFor(candidatesFor(topK)));

/** The texts BM25 ranks by and their weights: the question, then earlier user messages at lower weight. */
export function weightedQueryTexts(question: string, previousTurns: readonly string[] = []) {
  const texts = [question, ...previousTurns.slice(0, HISTORY_WEIGHTS.length - 1)];
  return { texts, weights: texts.map((_, i) => HISTORY_WEIGHTS[i]!) };
}

async function hybridQuery(client: pg.PoolClient, options: RetrievalOptions): Promise<RetrievedChunk[]> {
  const candidates = candidatesFor(options.topK);
  const mode = options.mode ?? 'hybrid';
  const query = weightedQueryTexts(options.queryText, options.previousTurns);
  const { rows } = await client.query<{
    id: string;
    document_id: string;
    name: string;
    content: string;
    page_start: number | null;
    page_end: number | null;
    heading_path: string[];
    similarity: number | null;
    bm25: number | null;
    relevance: number | null;
    score: number;
  }>(
    `WITH vec AS MATERIALIZED (
        SELECT id, embedding <=> $2::vector AS distance
          FROM chunks WHERE tenant_id = $1 AND ($11::uuid[] IS NULL OR document_id = ANY ($11)) AND $12
         ORDER BY embedding <=> $2::vector LIMIT $4
     ), vec_ranked AS (
        SELECT id, distance, row_number() OVER (ORDER BY distance) AS r FROM vec
     ), txt AS MATERIALIZED (
        SELECT id, score, relevance, row_number() OVER (ORDER BY score DESC, id) AS r
          FROM tenant_bm25_matches($3::text[], $9::real[], $4::int, $11::uuid[]) WHERE $13
     ), fused AS (
        SELECT coalesce(v.id, t.id) AS id,
               1 - v.distance AS similarity,
               t.score AS bm25,
               t.relevance,
               coalesce($8::float8 / ($5::float8 + v.r), 0) + coalesce(1.0 / ($5::float8 + t.r), 0) AS score
          FROM vec_ranked v FULL JOIN txt t ON t.id = v.id
     ), top AS MATERIALIZED (
        SELECT * FROM fused WHERE relevance >= $10::real OR similarity >= $6::float8
         ORDER BY score DESC, similarity DESC NULLS LAST, id LIMIT $7
     )
     SELECT c.id, c.document_id, d.name, c.content, c.page_start, c.page_end, c.heading_path,
            f.similarity, f.bm25, f.relevance, f.score::float8 AS score
       FROM chunks c JOIN top f ON f.id = c.id JOIN documents d ON d.id = c.document_id
      -- Only the topK chunks are read and joined, by primary key rather than joining the whole table.
      WHERE c.id = ANY (ARRAY(SELECT id FROM top))
      ORDER BY f.score DESC, f.similarity DESC NULLS LAST, c.id`,
    [
      options.tenantId,
      encodeVector(options.queryVector),
      query.texts,
      candidates,
      RRF_K,
      options.minSimilarity,
      options.topK,
      options.vectorWeight ?? VECTOR_WEIGHTS.local,
      query.weights,
      options.minRelevance ?? MIN_RELEVANCE,
      options.documentIds ?? null,
      mode !== 'bm25',
      mode !== 'vector',
    ],
  );
  return rows.map((r) => ({
    chunkId: r.id,
    documentId: r.document_id,
    documentName: r.name,
    content: r.content,
    pageStart: r.page_start,
    pageEnd: r.page_end,
    headingPath: r.heading_path,
    similarity: r.similarity,
    textMatch: r.bm25 !== null,
    bm25: r.bm25,
    relevance: r.relevance,
    score: r.score,
  }));
}

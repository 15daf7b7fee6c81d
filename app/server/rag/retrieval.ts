import type { PoolClient } from 'pg';

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
  /** True when the full-text search matched the question's words. */
  textMatch: boolean;
  /** Reciprocal-rank-fusion score; higher is better. */
  score: number;
}

export interface RetrievalOptions {
  tenantId: string;
  queryText: string;
  queryVector: number[];
  topK: number;
  /** Least cosine similarity for a vector-only hit to count as relevant. */
  minSimilarity: number;
}

/** Most full-text matches ranked per query. */
const TEXT_POOL = 2000;

/** RRF's k: dampens the weight of top ranks so neither list dominates (the usual value from the paper). */
const RRF_K = 60;

/**
 * Hybrid retrieval in Postgres alone: the nearest chunks by cosine distance (HNSW) and the best full-text
 * matches (`simple` configuration, so Persian words match as written), merged by reciprocal rank fusion.
 *
 * Runs inside a tenant transaction. The HNSW scan is iterative (pgvector ≥ 0.8): with many tenants in one index,
 * the scan goes on past the first candidates until it has `topK` of this tenant's chunks, so a small tenant's
 * results are never starved by a large one's.
 */
export async function retrieveChunks(
  client: PoolClient,
  options: RetrievalOptions,
): Promise<RetrievedChunk[]> {
  const candidates = Math.max(options.topK * 4, 20);
  await client.query(
    `SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = ${Math.max(candidates, 40)}`,
  );
  const { rows } = await client.query<{
    id: string;
    document_id: string;
    name: string;
    content: string;
    page_start: number | null;
    page_end: number | null;
    heading_path: string[];
    similarity: number | null;
    text_match: boolean;
    score: number;
  }>(
    // The text side ranks a bounded pool of matches: ranking every chunk of a large team that shares a word
    // with the question cost over half a second at 100k chunks. Under row-level security the GIN index cannot
    // serve `@@` (it is not leakproof), so the pool is read in table order; the vector side still searches all.
    `WITH vec AS MATERIALIZED (
        SELECT id, embedding <=> $2::vector AS distance
          FROM chunks WHERE tenant_id = $1
         ORDER BY embedding <=> $2::vector LIMIT $4
     ), vec_ranked AS (
        SELECT id, distance, row_number() OVER (ORDER BY distance) AS r FROM vec
     ), txt_pool AS MATERIALIZED (
        SELECT id, tsv FROM chunks
         WHERE $3 <> '' AND tenant_id = $1 AND tsv @@ to_tsquery('simple', $3) LIMIT $8
     ), txt AS (
        SELECT id, row_number() OVER (ORDER BY ts_rank_cd(tsv, to_tsquery('simple', $3)) DESC, id) AS r
          FROM txt_pool ORDER BY r LIMIT $4
     ), fused AS (
        SELECT coalesce(v.id, t.id) AS id,
               1 - v.distance AS similarity,
               t.id IS NOT NULL AS text_match,
               coalesce(1.0 / ($5 + v.r), 0) + coalesce(1.0 / ($5 + t.r), 0) AS score
          FROM vec_ranked v FULL JOIN txt t ON t.id = v.id
     ), kept AS MATERIALIZED (
        SELECT * FROM fused WHERE text_match OR similarity >= $6
     )
     SELECT c.id, c.document_id, d.name, c.content, c.page_start, c.page_end, c.heading_path,
            f.similarity, f.text_match, f.score::float8 AS score
       FROM chunks c JOIN kept f ON f.id = c.id JOIN documents d ON d.id = c.document_id
      -- At most a few dozen ids: fetch them by primary key rather than joining the whole table.
      WHERE c.id = ANY (ARRAY(SELECT id FROM kept))
      ORDER BY f.score DESC, c.id
      LIMIT $7`,
    [
      options.tenantId,
      `[${options.queryVector.join(',')}]`,
      anyWordQuery(options.queryText),
      candidates,
      RRF_K,
      options.minSimilarity,
      options.topK,
      TEXT_POOL,
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
    textMatch: r.text_match,
    score: r.score,
  }));
}

// Words too common to signal relevance on their own (English and Persian).
const STOP_WORDS = new Set(
  (
    'the and for are was were with that this what which who whom how why when where does did from into about ' +
    'have has had not you your our their its can could would should will shall may might there here them they ' +
    'است این آن که را از به با در برای چه چی چیست کدام چگونه چطور یک هم تا اما یا هر می نمی شود بود های ها'
  ).split(' '),
);

/**
 * A full-text query matching chunks that contain ANY meaningful word of the question (ranked by how many and how
 * close), instead of websearch's ALL-words, which a natural-language question rarely satisfies.
 */
export function anyWordQuery(text: string): string {
  const words = new Set<string>();
  for (const match of searchNormalize(text.normalize('NFC').toLowerCase()).matchAll(
    /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu,
  )) {
    const word = match[0];
    if (word.length >= 3 && !STOP_WORDS.has(word)) words.add(word);
  }
  return [...words]
    .slice(0, 32)
    .map((w) => `'${w.replaceAll("'", "''")}'`)
    .join(' | ');
}

const SEARCH_FROM = 'يك۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩';
const SEARCH_TO = 'یک01234567890123456789';

/** The same mapping as SQL `search_normalize` (migration 002): ZWNJ dropped, Arabic letters and digits mapped. */
export function searchNormalize(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\u200c') continue;
    const i = SEARCH_FROM.indexOf(ch);
    out += i >= 0 ? SEARCH_TO[i] : ch;
  }
  return out;
}

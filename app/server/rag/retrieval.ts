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

/** Most full-text matches ranked per tier (see {@link fullTextTiers}). */
const TEXT_POOL = 100;

/**
 * One full-text tier: the chunks tenant_text_matches finds for the tier's queries (a text[] parameter; none when
 * empty), at most {@link TEXT_POOL}, computed only when `gate` holds (a one-time filter: skipped otherwise).
 */
const textTier = (queries: string, gate = 'true') => `
        SELECT id, rank FROM tenant_text_matches(ARRAY(SELECT to_tsquery('simple', q) FROM unnest(${queries}::text[]) q), $8)
         WHERE cardinality(${queries}::text[]) > 0 AND ${gate}`;

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
 * Hybrid retrieval in Postgres alone: the nearest chunks by cosine distance (HNSW) and the best full-text
 * matches (`simple` configuration, so Persian words match as written), merged by reciprocal rank fusion.
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

async function hybridQuery(client: pg.PoolClient, options: RetrievalOptions): Promise<RetrievedChunk[]> {
  const candidates = candidatesFor(options.topK);
  const tiers = fullTextTiers(options.queryText);
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
    // The text side asks tenant_text_matches (migration 004: the tenant's chunks through the GIN index, which
    // row-level security keeps a plain query from using) for chunks with ALL the question's words, then, only when
    // those are fewer than topK, with all but one, then ANY (common words match most of a large team's chunks:
    // each tier ranks at most TEXT_POOL of its matches). A higher tier always ranks above a lower one; within one,
    // ts_rank_cd.
    `WITH vec AS MATERIALIZED (
        SELECT id, embedding <=> $2::vector AS distance
          FROM chunks WHERE tenant_id = $1
         ORDER BY embedding <=> $2::vector LIMIT $4
     ), vec_ranked AS (
        SELECT id, distance, row_number() OVER (ORDER BY distance) AS r FROM vec
     ), txt_all AS MATERIALIZED (${textTier('$3')}
     ), txt_most AS MATERIALIZED (${textTier('$9', '(SELECT count(*) FROM txt_all) < $7')}
     ), txt_any AS MATERIALIZED (${textTier('$10', '(SELECT count(*) FROM txt_all) + (SELECT count(*) FROM txt_most) < $7')}
     ), txt AS (
        SELECT id, row_number() OVER (ORDER BY min(tier), max(rank) DESC, id) AS r
          FROM (SELECT id, rank, 0 AS tier FROM txt_all
                UNION ALL SELECT id, rank, 1 FROM txt_most
                UNION ALL SELECT id, rank, 2 FROM txt_any) tiers
         GROUP BY id ORDER BY r LIMIT $4
     ), fused AS (
        SELECT coalesce(v.id, t.id) AS id,
               1 - v.distance AS similarity,
               t.id IS NOT NULL AS text_match,
               coalesce(1.0 / ($5 + v.r), 0) + coalesce(1.0 / ($5 + t.r), 0) AS score
          FROM vec_ranked v FULL JOIN txt t ON t.id = v.id
     ), top AS MATERIALIZED (
        SELECT * FROM fused WHERE text_match OR similarity >= $6 ORDER BY score DESC, id LIMIT $7
     )
     SELECT c.id, c.document_id, d.name, c.content, c.page_start, c.page_end, c.heading_path,
            f.similarity, f.text_match, f.score::float8 AS score
       FROM chunks c JOIN top f ON f.id = c.id JOIN documents d ON d.id = c.document_id
      -- Only the topK chunks are read and joined, by primary key rather than joining the whole table.
      WHERE c.id = ANY (ARRAY(SELECT id FROM top))
      ORDER BY f.score DESC, c.id`,
    [
      options.tenantId,
      encodeVector(options.queryVector),
      tiers.all,
      candidates,
      RRF_K,
      options.minSimilarity,
      options.topK,
      TEXT_POOL,
      tiers.most,
      tiers.any,
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

/** The meaningful words of a question as quoted tsquery lexemes (normalised as the index is, deduplicated). */
function queryWords(text: string): string[] {
  const words = new Set<string>();
  for (const match of searchNormalize(text.normalize('NFC').toLowerCase()).matchAll(
    /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu,
  )) {
    const word = match[0];
    if (word.length >= 3 && !STOP_WORDS.has(word)) words.add(word);
  }
  return [...words].slice(0, 32).map((w) => `'${w.replaceAll("'", "''")}'`);
}

/**
 * A full-text query matching chunks that contain ANY meaningful word of the question (ranked by how many and how
 * close), instead of websearch's ALL-words, which a natural-language question rarely satisfies.
 */
export function anyWordQuery(text: string): string {
  return queryWords(text).join(' | ');
}

/** Questions with more words skip the all-but-one tier (one index search per word). */
const MOST_TIER_MAX_WORDS = 8;

export interface FullTextTiers {
  /** Chunks with every meaningful word of the question. */
  all: string[];
  /** Chunks with all words but one (one query per left-out word; 3 to {@link MOST_TIER_MAX_WORDS} words). */
  most: string[];
  /** Chunks with any of the words (2 words or more; with one, `all` is the same query). */
  any: string[];
}

/**
 * The full-text queries (to_tsquery syntax, `simple` configuration) retrieval tries in turn, from strict to loose:
 * a chunk matching any query of a tier belongs to it. A question often has one word its answer does not (the
 * "work" of "how does X work", "receive" against "receives"), hence the all-but-one tier. An OR of common words
 * matches most of a large team's chunks, so ranking only a sample of it gives the chunk with every word but one
 * little chance; the strict tiers go through the GIN index and find it among few.
 */
export function fullTextTiers(text: string): FullTextTiers {
  const words = queryWords(text);
  return {
    all: words.length > 0 ? [words.join(' & ')] : [],
    most:
      words.length >= 3 && words.length <= MOST_TIER_MAX_WORDS
        ? words.map((_, skip) => words.filter((__, i) => i !== skip).join(' & '))
        : [],
    any: words.length > 1 ? [words.join(' | ')] : [],
  };
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

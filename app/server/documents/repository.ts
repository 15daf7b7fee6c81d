import type pg from 'pg';
import type { Queryable } from '../../db/index.js';
import { encodeVectorArray } from '../../db/vector.js';
import type { DocumentSummary } from '../schemas/documents.js';
import type { EncodedChunkBatch } from './chunk-batches.js';

const SUMMARY_COLUMNS = `id, name, kind, mime_type, size_bytes, status, error, failure_reason, attempts,
  pages_total AS pages, pages_done, chunks_total AS chunks, chunks_done, tokens, created_at, updated_at`;

interface SummaryRow extends Omit<DocumentSummary, 'created_at' | 'updated_at'> {
  created_at: Date;
  updated_at: Date;
}

export const toSummary = (row: SummaryRow): DocumentSummary => ({
  ...row,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

export async function listDocuments(db: Queryable, tenantId: string): Promise<DocumentSummary[]> {
  const { rows } = await db.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM documents WHERE tenant_id = $1 ORDER BY created_at DESC, id`,
    [tenantId],
  );
  return rows.map(toSummary);
}

export async function getDocument(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<DocumentSummary | undefined> {
  const { rows } = await db.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM documents WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return rows[0] && toSummary(rows[0]);
}

export async function findBySha256(db: Queryable, tenantId: string, sha256: string) {
  const { rows } = await db.query<SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS} FROM documents WHERE tenant_id = $1 AND sha256 = $2`,
    [tenantId, sha256],
  );
  return rows[0] && toSummary(rows[0]);
}

export interface NewDocument {
  tenantId: string;
  userId: string;
  name: string;
  kind: string;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  pagesTotal: number;
}

/**
 * Inserts the document as `processing` with its ingestion job and its parsed pages (one statement, one round
 * trip), or returns undefined when a twin won a race.
 */
export async function createDocumentWithJob(
  db: Queryable,
  doc: NewDocument,
  parsedJson: string | Uint8Array,
): Promise<DocumentSummary | undefined> {
  const { rows } = await db.query<SummaryRow>(
    `WITH d AS (
       INSERT INTO documents (tenant_id, uploaded_by, name, kind, mime_type, size_bytes, sha256, pages_total)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant_id, sha256) DO NOTHING
       RETURNING ${SUMMARY_COLUMNS}
     ), job AS (
       INSERT INTO ingestion_jobs (tenant_id, document_id, content) SELECT $1, d.id, $9 FROM d
     ), pages AS (
       -- The parsed text stays for the document view after the job is done (011_document_pages.sql).
       INSERT INTO document_pages (tenant_id, document_id, number, blocks)
       SELECT $1, d.id, (p ->> 'number')::int, p -> 'blocks'
         FROM d, jsonb_array_elements(convert_from($9, 'UTF8')::jsonb -> 'pages') p
     )
     SELECT * FROM d`,
    [
      doc.tenantId,
      doc.userId,
      doc.name,
      doc.kind,
      doc.mimeType,
      doc.sizeBytes,
      doc.sha256,
      doc.pagesTotal,
      typeof parsedJson === 'string'
        ? Buffer.from(parsedJson, 'utf8')
        : Buffer.from(parsedJson.buffer, parsedJson.byteOffset, parsedJson.byteLength),
    ],
  );
  const row = rows[0];
  return row && toSummary(row);
}

export interface ChunkRow {
  ordinal: number;
  content: string;
  tokens: number;
  pageStart: number | null;
  pageEnd: number | null;
  headingPath: string[];
}

const INSERT_CHUNKS = `INSERT INTO chunks (tenant_id, document_id, ordinal, content, tokens, page_start, page_end,
                                            heading_path, embedding)
  SELECT $1, $2, t.ordinal, t.content, t.tokens, t.page_start, t.page_end,
         ARRAY(SELECT jsonb_array_elements_text(t.heading_path)), t.embedding
    FROM unnest($3::int[], $4::text[], $5::int[], $6::int[], $7::int[], $8::jsonb[], $9::vector[])
      AS t(ordinal, content, tokens, page_start, page_end, heading_path, embedding)`;

/**
 * Inserts a document's chunks in one statement. The vectors travel in PostgreSQL's binary format (see
 * app/db/vector.ts): as text the embedded database spent longer receiving and parsing them than storing them.
 * `vectorTypeOid` is `'vector'::regtype`.
 */
export async function insertChunks(
  db: Queryable,
  tenantId: string,
  documentId: string,
  chunks: ChunkRow[],
  vectors: ArrayLike<number>[],
  vectorTypeOid: number,
): Promise<void> {
  await db.query(INSERT_CHUNKS, [
    tenantId,
    documentId,
    chunks.map((c) => c.ordinal),
    chunks.map((c) => c.content),
    chunks.map((c) => c.tokens),
    chunks.map((c) => c.pageStart),
    chunks.map((c) => c.pageEnd),
    chunks.map((c) => JSON.stringify(c.headingPath)),
    encodeVectorArray(vectors, vectorTypeOid),
  ]);
}

/** Inserts one batch encoded by an ingestion thread (chunk-batches.ts) with its binary `vector[]`. */
export async function insertChunkBatch(
  db: Queryable,
  tenantId: string,
  documentId: string,
  batch: EncodedChunkBatch,
  vectors: Buffer,
): Promise<void> {
  await db.query(INSERT_CHUNKS, [
    tenantId,
    documentId,
    batch.ordinals,
    batch.contents,
    batch.tokens,
    batch.pageStarts,
    batch.pageEnds,
    batch.headingPaths,
    vectors,
  ]);
}

/** Deletes a document and (by cascade) its chunks and job; returns how many chunks went with it. */
export async function deleteDocument(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<number | undefined> {
  const { rows } = await db.query<{ chunks: number }>(
    `DELETE FROM documents WHERE tenant_id = $1 AND id = $2
     RETURNING (SELECT count(*)::int FROM chunks WHERE document_id = $2) AS chunks`,
    [tenantId, id],
  );
  return rows[0]?.chunks;
}

/** Stored chunks per tenant slug, for `document_chunks_total` at start-up. */
export async function countChunksByTenant(pool: pg.Pool): Promise<Array<{ slug: string; chunks: number }>> {
  const { rows } = await pool.query<{ slug: string; chunks: number }>(
    `SELECT t.slug, count(c.id)::int AS chunks FROM tenants t JOIN chunks c ON c.tenant_id = t.id GROUP BY t.slug`,
  );
  return rows;
}

/**
 * Documents whose chunks were embedded by another model than `model`, per model. Their vectors are not comparable
 * with this server's question vectors (the dimension alone does not tell: the offline embedder and OpenAI's both
 * default to 512), so vector search cannot find them until `npm run reindex`.
 */
export async function documentsEmbeddedOtherwise(
  pool: pg.Pool,
  model: string,
): Promise<Array<{ model: string; documents: number }>> {
  const { rows } = await pool.query<{ model: string; documents: number }>(
    `SELECT embedding_model AS model, count(*)::int AS documents FROM documents
      WHERE status = 'ready' AND embedding_model <> $1 GROUP BY embedding_model ORDER BY embedding_model`,
    [model],
  );
  return rows;
}

/** The ingestion queue across teams (migration 007's `ingestion_queue_stats`), for the operators' gauges. */
export async function readQueueStats(
  pool: pg.Pool,
): Promise<{ waiting: number; leased: number; oldestSeconds: number }> {
  const { rows } = await pool.query<{ waiting: number; leased: number; oldest_seconds: number }>(
    'SELECT * FROM ingestion_queue_stats()',
  );
  const row = rows[0]!;
  return { waiting: row.waiting, leased: row.leased, oldestSeconds: row.oldest_seconds };
}

import type pg from 'pg';
import type { Logger } from 'pino';
import { withTransaction } from '../../db/index.js';
import { BackgroundLoop } from '../background-loop.js';
import type { Embedder } from '../embeddings/types.js';
import { type Chunk, chunkDocument, type ParsedDocument } from '../ingest/index.js';
import { insertChunks } from './repository.js';

export interface IngestionWorkerOptions {
  pool: pg.Pool;
  embedder: Embedder;
  logger: Logger;
  chunkTokens: number;
  overlapTokens: number;
  /** Called after a document's chunks are committed (for `document_chunks_total`). */
  onChunksStored(tenantId: string, count: number): void;
  /** How often to look for jobs left by other replicas or by a crash. @default 1000 */
  pollMs?: number;
  /** A claimed job not finished within this time is taken over by another worker. @default 120000 */
  leaseMs?: number;
  /** Attempts before a document is marked failed. @default 3 */
  maxAttempts?: number;
}

const EMBED_BATCH = 128;

interface ClaimedJob {
  id: string;
  tenant_id: string;
  document_id: string;
  content: Buffer;
  attempts: number;
}

/**
 * Turns uploaded documents into searchable chunks in the background. Jobs live in Postgres and are claimed with
 * `FOR UPDATE SKIP LOCKED` under a lease, so any replica can take them, and a job whose worker died is taken
 * over when its lease runs out: no document stays `processing` forever. All chunks of a document are written in
 * one transaction, so a failure leaves none behind.
 */
export class IngestionWorker {
  private readonly loop: BackgroundLoop;

  constructor(private readonly options: IngestionWorkerOptions) {
    this.loop = new BackgroundLoop(() => this.drain(), options.pollMs ?? 1000);
  }

  start() {
    this.loop.start();
  }

  /** Looks for work now (after an upload) instead of at the next poll. */
  kick() {
    this.loop.kick();
  }

  /** Resolves once the worker has nothing running (all the work a kick found is done). */
  idle() {
    return this.loop.idle();
  }

  stop() {
    return this.loop.stop();
  }

  private async drain() {
    try {
      for (let job = await this.claim(); job && !this.loop.stopping; job = await this.claim())
        await this.process(job);
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'ingestion worker could not claim a job');
    }
  }

  private async claim(): Promise<ClaimedJob | undefined> {
    const { rows } = await this.options.pool.query<ClaimedJob>(
      `UPDATE ingestion_jobs SET attempts = attempts + 1, lease_until = now() + make_interval(secs => $1)
        WHERE id = (SELECT id FROM ingestion_jobs WHERE lease_until IS NULL OR lease_until < now()
                     ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)
        RETURNING id, tenant_id, document_id, content, attempts`,
      [(this.options.leaseMs ?? 120_000) / 1000],
    );
    return rows[0];
  }

  private async process(job: ClaimedJob) {
    const { pool, logger } = this.options;
    const log = logger.child({ tenant: job.tenant_id, document: job.document_id });
    const maxAttempts = this.options.maxAttempts ?? 3;
    if (job.attempts > maxAttempts) {
      await this.fail(job, `Ingestion was interrupted ${maxAttempts} times; upload the document again`);
      return;
    }
    try {
      const parsed = JSON.parse(job.content.toString('utf8')) as ParsedDocument;
      const chunks = chunkDocument(parsed, {
        chunkTokens: this.options.chunkTokens,
        overlapTokens: this.options.overlapTokens,
      });
      if (chunks.length === 0) throw new Error('The document contains no text to index');
      const tokens = chunks.reduce((sum, c) => sum + c.tokens, 0);
      await pool.query(
        `UPDATE documents SET chunks_total = $2, tokens = $3, updated_at = now() WHERE id = $1`,
        [job.document_id, chunks.length, tokens],
      );
      const vectors: number[][] = [];
      for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
        const batch = chunks.slice(i, i + EMBED_BATCH);
        vectors.push(...(await this.options.embedder.embed(batch.map((c) => embeddingInput(c)))));
        // Progress and the renewed lease in one round trip.
        await pool.query(
          `WITH lease AS (
             UPDATE ingestion_jobs SET lease_until = now() + make_interval(secs => $5) WHERE id = $4
           )
           UPDATE documents SET chunks_done = $2, pages_done = $3, updated_at = now() WHERE id = $1`,
          [
            job.document_id,
            vectors.length,
            batch.at(-1)!.pageEnd,
            job.id,
            (this.options.leaseMs ?? 120_000) / 1000,
          ],
        );
      }
      const stored = await this.store(job, chunks, vectors);
      if (stored) {
        this.options.onChunksStored(job.tenant_id, chunks.length);
        log.info({ chunks: chunks.length, tokens }, 'document ready');
      }
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'ingestion failed');
      await this.fail(job, `Indexing failed: ${(error as Error).message}`).catch(() => {});
    }
  }

  /**
   * Writes every chunk and marks the document ready, in one transaction. False when the document was deleted.
   * Locking the document keeps a concurrent deletion from finding it half-written; the lock's statement also
   * looks up the vector type's OID for the binary vectors (see insertChunks).
   */
  private store(job: ClaimedJob, chunks: Chunk[], vectors: number[][]): Promise<boolean> {
    return withTransaction(this.options.pool, async (client) => {
      const { rows } = await client.query<{ vector_oid: string }>(
        `SELECT 'vector'::regtype::oid AS vector_oid FROM documents WHERE id = $1 FOR UPDATE`,
        [job.document_id],
      );
      if (!rows[0]) return false;
      await insertChunks(client, job.tenant_id, job.document_id, chunks, vectors, Number(rows[0].vector_oid));
      await client.query(
        `WITH job AS (DELETE FROM ingestion_jobs WHERE id = $3)
         UPDATE documents SET status = 'ready', error = NULL, chunks_done = chunks_total, pages_done = pages_total,
                embedding_model = $2, updated_at = now() WHERE id = $1`,
        [job.document_id, this.options.embedder.model, job.id],
      );
      return true;
    });
  }

  private fail(job: ClaimedJob, reason: string) {
    return withTransaction(this.options.pool, async (client) => {
      await client.query(
        `UPDATE documents SET status = 'failed', error = $2, chunks_done = 0, updated_at = now() WHERE id = $1`,
        [job.document_id, reason.slice(0, 500)],
      );
      await client.query('DELETE FROM ingestion_jobs WHERE id = $1', [job.id]);
    });
  }
}

/** The heading path travels with the text into the vector, so "Installation" questions find that section. */
export function embeddingInput(chunk: Pick<Chunk, 'headingPath' | 'content'>): string {
  return chunk.headingPath.length ? `${chunk.headingPath.join(' › ')}\n${chunk.content}` : chunk.content;
}

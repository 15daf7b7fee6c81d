import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, withTenant } from '../../db/index.js';
import { encodeVectorArray } from '../../db/vector.js';
import type { INGESTION_FAILURE_REASONS } from '../../telemetry/metrics.js';
import { BackgroundLoop } from '../background-loop.js';
import { LocalHashingEmbedder } from '../embeddings/local-hashing-embedder.js';
import type { Embedder } from '../embeddings/types.js';
import { isStorageFailure } from '../storage-faults.js';
import type { EncodedChunkBatch } from './chunk-batches.js';
import { IngestionPool, IngestionTaskError } from './ingestion-pool.js';
import { insertChunkBatch } from './repository.js';

export { embeddingInput } from './chunk-batches.js';

/** Why a document failed, as the API (`failure_reason`) and the metrics name it. */
export type FailureReason = (typeof INGESTION_FAILURE_REASONS)[number];

export interface IngestionWorkerOptions {
  pool: pg.Pool;
  embedder: Embedder;
  logger: Logger;
  chunkTokens: number;
  overlapTokens: number;
  /** The threads that chunk and embed; the worker creates (and closes) its own when none is given. */
  threads?: IngestionPool;
  /** Called after a document's chunks are committed (for `document_chunks_total`). */
  onChunksStored(tenantId: string, count: number): void;
  /** Called when a write failed for lack of space (readiness then probes writes). */
  onStorageFailure?(): void;
  /** Called when a document ends: ready, or failed with its reason (for the metrics). */
  onFinished?(outcome: {
    status: 'ready' | 'failed';
    reason?: FailureReason;
    seconds: number;
    attempts: number;
  }): void;
  /** How often to look for jobs left by other replicas or by a crash. @default 1000 */
  pollMs?: number;
  /**
   * A claimed job is renewed every third of this; a worker that stops renewing (killed) loses the job to another
   * worker after it. @default 15000
   */
  leaseMs?: number;
  /** Attempts (crashes, timeouts, lost leases) before a document is marked failed. @default 3 */
  maxAttempts?: number;
  /** Documents indexed at the same time. @default the pool's thread count */
  concurrency?: number;
  /**
   * Only one process can hold the embedded database (app/db/embedded-lock.ts), so at start every lease there is
   * a dead process's: release them at once instead of waiting for them to run out.
   */
  releaseOrphanedLeases?: boolean;
}

interface ClaimedJob {
  job_id: string;
  tenant_id: string;
  document_id: string;
  content: Buffer;
  attempts: number;
  last_error: string | null;
}

const STORAGE_RETRY_SECONDS = 30;

/** The user's sentence for each reason of a document that ran out of attempts. */
const EXHAUSTED: Record<string, (attempts: number) => string> = {
  timeout: (n) =>
    `Indexing was stopped ${n} times for taking longer than the time limit; the document is too large or too complex to index. Split it into smaller files and upload them.`,
  crashed: (n) =>
    `Indexing crashed ${n} times (the document needed more memory than a worker has); split it into smaller files and upload them.`,
  interrupted: (n) =>
    `Indexing was interrupted ${n} times (the server stopped while working on it); upload the document again.`,
  storage_failed: (n) =>
    `The server's storage was full or unavailable at each of ${n} attempts to store the document; upload it again once it has space.`,
};

/**
 * Turns uploaded documents into searchable chunks in the background. Jobs live in Postgres and are claimed
 * through narrow SQL functions (migration 007) under a short lease that a heartbeat renews, so a killed
 * worker's job is taken over within seconds, and never by two workers at once (the lease has an owner, and
 * only the owner can store). The CPU work runs in worker threads ({@link IngestionPool}); this class only
 * moves bytes between them and the database. Every attempt is counted: a document whose processing timed
 * out, crashed its thread or lost its lease `maxAttempts` times is failed with the reason, never re-run. All
 * chunks of a document are written in one transaction, so a failure leaves none behind.
 */
export class IngestionWorker {
  private readonly loop: BackgroundLoop;
  private readonly threads: IngestionPool;
  private readonly ownsThreads: boolean;
  /** This process's lease owner id. */
  private readonly owner = randomUUID();
  private readonly running = new Set<Promise<void>>();
  private readonly leaseSeconds: number;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  private vectorTypeOid: number | undefined;
  private orphansReleased = false;

  constructor(private readonly options: IngestionWorkerOptions) {
    this.threads = options.threads ?? new IngestionPool();
    this.ownsThreads = !options.threads;
    this.leaseSeconds = Math.max(1, Math.round((options.leaseMs ?? 15_000) / 1000));
    this.maxAttempts = options.maxAttempts ?? 3;
    this.concurrency = options.concurrency ?? this.threads.threads;
    this.loop = new BackgroundLoop(() => this.drain(), options.pollMs ?? 1000);
  }

  /** Documents being indexed by this process right now. */
  get inProgress(): number {
    return this.running.size;
  }

  start() {
    this.loop.start();
  }

  /** Looks for work now (after an upload) instead of at the next poll. */
  kick() {
    this.loop.kick();
  }

  /** Resolves once the worker has nothing running (all the work a kick found is done). */
  async idle() {
    for (;;) {
      await this.loop.idle();
      if (this.running.size === 0) return;
      // A finishing job kicks the loop for the next one: wait for that pass too.
      await Promise.allSettled([...this.running]);
    }
  }

  async stop() {
    await this.loop.stop();
    await Promise.allSettled([...this.running]);
    if (this.ownsThreads) await this.threads.close();
  }

  /** Claims jobs until every slot is busy or none waits; each job runs on while the loop sleeps. */
  private async drain() {
    try {
      if (this.options.releaseOrphanedLeases && !this.orphansReleased) {
        const { rows } = await this.options.pool.query<{ n: number }>(
          'SELECT ingestion_release_orphaned_leases() AS n',
        );
        this.orphansReleased = true;
        if (rows[0]!.n > 0)
          this.options.logger.info({ jobs: rows[0]!.n }, 'resuming ingestion jobs of a stopped process');
      }
      while (this.running.size < this.concurrency && !this.loop.stopping) {
        const job = await this.claim();
        if (!job) break;
        const task = this.process(job).finally(() => {
          this.running.delete(task);
          // A slot came free: look for the next job now.
          if (!this.loop.stopping) this.loop.kick();
        });
        this.running.add(task);
      }
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'ingestion worker could not claim a job');
    }
  }

  private async claim(): Promise<ClaimedJob | undefined> {
    const { rows } = await this.options.pool.query<ClaimedJob>('SELECT * FROM ingestion_claim_job($1, $2)', [
      this.owner,
      this.leaseSeconds,
    ]);
    return rows[0];
  }

  private async process(job: ClaimedJob) {
    const { logger } = this.options;
    const log = logger.child({ tenant: job.tenant_id, document: job.document_id, attempt: job.attempts });
    const started = performance.now();
    const finished = (status: 'ready' | 'failed', reason?: FailureReason) =>
      this.options.onFinished?.({
        status,
        ...(reason && { reason }),
        seconds: (performance.now() - started) / 1000,
        attempts: Math.min(job.attempts, this.maxAttempts),
      });
    if (job.attempts > this.maxAttempts) {
      // Past its attempts: never run again, whatever stopped the earlier ones.
      const reason = (job.last_error ?? 'interrupted') as
        | 'timeout'
        | 'crashed'
        | 'interrupted'
        | 'storage_failed';
      log.warn({ reason, attempts: this.maxAttempts }, 'document quarantined after repeated failures');
      if (await this.fail(job, reason, EXHAUSTED[reason]!(this.maxAttempts), this.maxAttempts))
        finished('failed', reason);
      return;
    }
    const lease = new AbortController();
    const heartbeat = setInterval(
      () => {
        this.options.pool
          .query<{ ok: boolean }>('SELECT ingestion_renew_lease($1, $2, $3) AS ok', [
            job.job_id,
            this.owner,
            this.leaseSeconds,
          ])
          .then(({ rows }) => {
            if (!rows[0]?.ok) lease.abort(new Error('lease lost'));
          })
          .catch(() => {}); // a missed beat is retried at the next; the lease is three beats long
      },
      (this.leaseSeconds * 1000) / 3,
    );
    try {
      const stored = await this.index(job, lease.signal);
      if (stored === 'lost') log.warn('lease lost: another worker took the document over');
      else if (stored) {
        this.options.onChunksStored(job.tenant_id, stored.chunks);
        log.info({ chunks: stored.chunks, tokens: stored.tokens }, 'document ready');
        finished('ready');
      }
    } catch (error) {
      if (lease.signal.aborted) {
        log.warn('lease lost: another worker took the document over');
      } else if (error instanceof IngestionTaskError) {
        log.warn({ reason: error.reason, err: error.message }, 'ingestion attempt failed');
        if (job.attempts >= this.maxAttempts) {
          if (await this.fail(job, error.reason, EXHAUSTED[error.reason]!(this.maxAttempts), job.attempts))
            finished('failed', error.reason);
        } else {
          await this.release(job, error.reason, false);
        }
      } else if (isStorageFailure(error) && job.attempts < this.maxAttempts) {
        // The disk is full: try again in a while; the attempt counts, so a disk that stays full ends it.
        log.warn({ err: (error as Error).message }, 'ingestion paused: storage full or unavailable');
        this.options.onStorageFailure?.();
        await this.release(job, 'storage_failed', false, STORAGE_RETRY_SECONDS);
      } else if (isDatabaseUnavailable(error)) {
        // An outage, not the document's fault: it waits with its attempt given back.
        log.warn({ err: (error as Error).message }, 'ingestion paused: database unavailable');
        await this.release(job, null, true);
      } else {
        const failure = classify(error);
        log.warn({ reason: failure.reason, err: (error as Error).message }, 'ingestion failed');
        if (await this.fail(job, failure.reason, failure.message, job.attempts))
          finished('failed', failure.reason);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Chunks, embeds and stores one document; false when it was deleted meanwhile, 'lost' when the lease was. */
  private async index(
    job: ClaimedJob,
    lease: AbortSignal,
  ): Promise<{ chunks: number; tokens: number } | false | 'lost'> {
    const { embedder } = this.options;
    const local = embedder instanceof LocalHashingEmbedder ? embedder : undefined;
    const vectorTypeOid = await this.vectorOid();
    let lastProgress = 0;
    const result = await this.threads.index(
      job.content,
      { chunkTokens: this.options.chunkTokens, overlapTokens: this.options.overlapTokens },
      {
        signal: lease,
        ...(local && { localEmbedding: { dimensions: local.dimensions, vectorTypeOid } }),
        onProgress: (done, chunks) => {
          // At most a few progress writes per second: each waits in the database's queue.
          if (done < chunks && performance.now() - lastProgress < 500) return;
          lastProgress = performance.now();
          this.progress(job, { chunks_total: chunks, chunks_done: done }).catch(() => {});
        },
      },
    );
    if (!result.ok) throw new UnreadableDocument(result.reason, result.message);
    await this.progress(job, {
      chunks_total: result.chunks,
      tokens: result.tokens,
      chunks_done: local ? result.chunks : 0,
    });
    const vectors: Buffer[] = [];
    let done = 0;
    for (const batch of result.batches) {
      lease.throwIfAborted();
      if (batch.vectors) {
        vectors.push(Buffer.from(batch.vectors.buffer, batch.vectors.byteOffset, batch.vectors.byteLength));
      } else {
        vectors.push(await this.embedRemotely(batch, vectorTypeOid, lease));
        done += batch.count;
        await this.progress(job, { chunks_done: done, pages_done: batch.pageEnd });
      }
    }
    return this.store(job, result.batches, vectors, result);
  }

  /** One batch is one request to the remote embedder. */
  private async embedRemotely(batch: EncodedChunkBatch, vectorTypeOid: number, lease: AbortSignal) {
    let vectors: number[][];
    try {
      vectors = await this.options.embedder.embed(batch.inputs ?? [], { signal: lease });
    } catch (error) {
      if (lease.aborted) throw error;
      throw new EmbeddingFailed((error as Error).message, { cause: error });
    }
    return encodeVectorArray(vectors, vectorTypeOid);
  }

  private async vectorOid(): Promise<number> {
    if (this.vectorTypeOid === undefined) {
      const { rows } = await this.options.pool.query<{ oid: string }>(`SELECT 'vector'::regtype::oid AS oid`);
      this.vectorTypeOid = Number(rows[0]!.oid);
    }
    return this.vectorTypeOid;
  }

  private progress(job: ClaimedJob, fields: Record<string, number>) {
    const names = Object.keys(fields);
    return withTenant(this.options.pool, job.tenant_id, (db) =>
      db.query(
        `UPDATE documents SET ${names.map((n, i) => `${n} = $${i + 2}`).join(', ')}, updated_at = now()
          WHERE id = $1 AND status = 'processing'`,
        [job.document_id, ...names.map((n) => fields[n])],
      ),
    );
  }

  /**
   * Writes every chunk and marks the document ready, in one transaction of the document's team, if this worker
   * still holds the job: taking the job row (owner checked) first means a worker that lost its lease stores
   * nothing, so no document gets its chunks twice. Locking the document keeps a concurrent deletion from
   * finding it half-written.
   */
  private store(
    job: ClaimedJob,
    batches: EncodedChunkBatch[],
    vectors: Buffer[],
    result: { chunks: number; tokens: number },
  ): Promise<{ chunks: number; tokens: number } | false | 'lost'> {
    return withTenant(this.options.pool, job.tenant_id, async (db) => {
      const taken = await db.query(
        'DELETE FROM ingestion_jobs WHERE id = $1 AND lease_owner = $2 RETURNING document_id',
        [job.job_id, this.owner],
      );
      if (taken.rowCount === 0) return 'lost' as const;
      const { rows } = await db.query('SELECT 1 FROM documents WHERE id = $1 FOR UPDATE', [job.document_id]);
      if (!rows[0]) return false;
      for (const [i, batch] of batches.entries())
        await insertChunkBatch(db, job.tenant_id, job.document_id, batch, vectors[i]!);
      await db.query(
        `UPDATE documents SET status = 'ready', error = NULL, failure_reason = NULL, chunks_total = $3,
                chunks_done = $3, tokens = $4, pages_done = pages_total, embedding_model = $2, updated_at = now()
          WHERE id = $1`,
        [job.document_id, this.options.embedder.model, result.chunks, result.tokens],
      );
      return result;
    });
  }

  private async release(job: ClaimedJob, error: string | null, refund: boolean, retryAfterSeconds = 0) {
    await this.options.pool
      .query('SELECT ingestion_release_job($1, $2, $3, $4, $5)', [
        job.job_id,
        this.owner,
        error,
        refund,
        retryAfterSeconds,
      ])
      .catch((e: Error) =>
        this.options.logger.warn({ err: e.message }, 'could not release an ingestion job'),
      );
  }

  private async fail(job: ClaimedJob, reason: FailureReason, message: string, attempts: number) {
    try {
      const { rows } = await this.options.pool.query<{ ok: boolean }>(
        'SELECT ingestion_fail_job($1, $2, $3, $4, $5) AS ok',
        [job.job_id, this.owner, reason, message, attempts],
      );
      return rows[0]?.ok === true;
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'could not mark the document failed');
      return false;
    }
  }
}

class UnreadableDocument extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

class EmbeddingFailed extends Error {}

function classify(error: unknown): { reason: FailureReason; message: string } {
  if (error instanceof UnreadableDocument) {
    return { reason: error.reason === 'no_text' ? 'no_text' : 'unreadable', message: error.message };
  }
  if (error instanceof EmbeddingFailed) {
    return {
      reason: 'embedding_failed',
      message: `The embedding service failed (${error.message.slice(0, 200)}); upload the document again later.`,
    };
  }
  if (isStorageFailure(error)) {
    return {
      reason: 'storage_failed',
      message: "The server's storage is full or unavailable; upload the document again once it has space.",
    };
  }
  return { reason: 'indexing_failed', message: `Indexing failed: ${(error as Error).message.slice(0, 300)}` };
}

import os from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { ChunkOptions, DocumentKind } from '../ingest/index.js';
import type { IndexResult, IndexTask, ParseResult, ParseTask } from './ingestion-tasks.js';

/** Why a task ended without a result: it ran past its deadline, or its thread died (out of memory, a crash). */
export class IngestionTaskError extends Error {
  override readonly name = 'IngestionTaskError';

  constructor(
    readonly reason: 'timeout' | 'crashed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface IngestionPoolOptions {
  /** Threads that index documents in the background (chunk, tokenize, embed). @default availableParallelism() - 1, at least 1 */
  threads?: number;
  /** A task running longer than this is stopped (its thread is terminated). @default 120000 */
  timeoutMs?: number;
  /** Heap of each thread; a document that needs more fails alone. @default 1024 */
  maxHeapMb?: number;
}

/** The default number of indexing threads: every core but one, which the API and the database keep. */
export const defaultIngestThreads = () => Math.max(1, Math.min(8, os.availableParallelism() - 1));

/**
 * The worker threads that do ingestion's CPU work, so no document can hold the API's event loop: parsing an
 * upload, then chunking, tokenizing and (offline) embedding it. Two pools of kept threads (piscina): uploads are
 * parsed in their own, so a user waiting for an upload's answer never queues behind another team's long
 * document, and the background pool runs at a lower CPU priority (nice) than the API and the database.
 *
 * A task past its deadline, or whose thread dies, rejects with {@link IngestionTaskError}; piscina replaces the
 * thread, and the other documents go on.
 */
export class IngestionPool {
  readonly threads: number;
  readonly timeoutMs: number;
  private readonly uploads: Piscina<ParseTask, ParseResult>;
  private readonly background: Piscina<IndexTask, IndexResult>;

  constructor(options: IngestionPoolOptions = {}) {
    this.threads = options.threads ?? defaultIngestThreads();
    this.timeoutMs = options.timeoutMs ?? 120_000;
    // Sources run the TypeScript through tsx's loader, registered by the thread itself; the build loads its .js.
    const entry = import.meta.url.endsWith('.ts') ? './ingestion-tasks-tsx.mjs' : './ingestion-tasks.js';
    const common = {
      filename: new URL(entry, import.meta.url).href,
      atomics: 'async' as const,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 1024 },
    };
    this.uploads = new Piscina({
      ...common,
      minThreads: 1,
      maxThreads: Math.max(1, Math.ceil(this.threads / 2)),
    });
    this.background = new Piscina({
      ...common,
      minThreads: 1,
      maxThreads: this.threads,
      niceIncrement: 10,
    });
    // A thread that dies (out of memory) also emits 'error' on its pool: its task is already rejected with it.
    for (const pool of [this.uploads, this.background]) pool.on('error', () => {});
  }

  /** Parses an upload into its blocks (JSON, ready to store as the job's content). */
  parse(kind: DocumentKind, bytes: Uint8Array): Promise<ParseResult> {
    return this.run(this.uploads, { type: 'parse', kind, bytes }, undefined);
  }

  /**
   * Chunks a stored document and encodes its rows, embedding them here when `localEmbedding` is given.
   * `onProgress` gets the chunks embedded so far; `signal` stops the task (a lost lease).
   */
  index(
    json: Uint8Array,
    chunk: Required<ChunkOptions>,
    options: {
      localEmbedding?: IndexTask['localEmbedding'];
      onProgress?: (done: number, chunks: number) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<IndexResult> {
    const channel = options.onProgress ? new MessageChannel() : undefined;
    channel?.port1.on('message', (m: { done: number; chunks: number }) =>
      options.onProgress?.(m.done, m.chunks),
    );
    const task: IndexTask = {
      type: 'index',
      json,
      chunk,
      ...(options.localEmbedding && { localEmbedding: options.localEmbedding }),
      ...(channel && { progress: channel.port2 }),
    };
    return this.run<IndexTask, IndexResult>(
      this.background,
      task,
      options.signal,
      channel ? [channel.port2] : undefined,
    ).finally(() => channel?.port1.close());
  }

  async close(): Promise<void> {
    await Promise.all([this.uploads.destroy(), this.background.destroy()]);
  }

  private async run<T, R>(
    pool: Piscina<T, R>,
    task: T,
    signal: AbortSignal | undefined,
    transferList?: MessageChannel['port2'][],
  ): Promise<R> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const stop = signal ? AbortSignal.any([deadline, signal]) : deadline;
    try {
      return await pool.run(task, { signal: stop, ...(transferList && { transferList }) });
    } catch (error) {
      if (deadline.aborted) {
        throw new IngestionTaskError(
          'timeout',
          `Processing took longer than the ${Math.round(this.timeoutMs / 1000)} s limit`,
          { cause: error },
        );
      }
      if (signal?.aborted) throw signal.reason ?? error;
      throw new IngestionTaskError('crashed', `The processing thread stopped: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

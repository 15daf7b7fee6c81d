import { type Dirent, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { lockDataDir } from './embedded-lock.js';
import type { EmbeddedWorkerData, EmbeddedWorkerMessage } from './embedded-worker.js';

export interface EmbeddedPostgres {
  /** A `postgres://` URL for node-postgres, on 127.0.0.1 and a free port. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL compiled to WASM) with pgvector, persisted in `dataDir`, and serves it on the
 * Postgres wire protocol so the application talks to it through the same `pg` pool as to a real server.
 *
 * PGlite executes every statement synchronously on the thread that owns it, so it runs in a worker thread:
 * on the API's own thread each query would stall every other request's parsing, streaming and serialising.
 * The data directory is locked for this process until `close` (see embedded-lock.ts).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  maxConnections: number,
  options: { cacheMb?: number | undefined } = {},
): Promise<EmbeddedPostgres> {
  const lock = lockDataDir(dataDir);
  let worker: Worker | undefined;
  try {
    const cacheMb = options.cacheMb ?? defaultCacheMb(dataDir);
    const started = startWorker({ dataDir, maxConnections, cacheMb } satisfies EmbeddedWorkerData);
    worker = started;
    const first = await nextMessage(started);
    if (first.type !== 'listening') {
      throw new Error(
        `The embedded database under ${dataDir} did not start: ${first.type === 'failed' ? first.message : first.type}`,
      );
    }
    let closing: Promise<void> | undefined;
    return {
      url: `postgres://postgres:postgres@${first.address}/postgres`,
      close() {
        closing ??= (async () => {
          started.postMessage({ type: 'close' });
          // PGlite flushes its data directory on close; a worker that died already has nothing left to flush.
          await nextMessage(started).catch(() => {});
          await started.terminate();
          lock.release();
        })();
        return closing;
      },
    };
  } catch (error) {
    await worker?.terminate();
    lock.release();
    throw error;
  }
}

/**
 * PostgreSQL's page cache (shared_buffers) for the data already stored: half of it, between PGlite's 128 MB and
 * 1 GB (and at most an eighth of the machine's memory). PGlite reserves the cache at start, so a fixed large value
 * would cost every small install memory; a fixed 128 MB makes a large team's HNSW index (260 MB at 100k chunks)
 * miss the cache on most questions, and each miss is a read through the WASM file system.
 */
export function defaultCacheMb(dataDir: string): number {
  const half = directoryBytes(path.join(dataDir, 'base')) / 2 / 2 ** 20;
  const ceiling = Math.min(1024, os.totalmem() / 8 / 2 ** 20);
  return Math.max(128, Math.floor(Math.min(ceiling, Math.ceil(half / 64) * 64)));
}

function directoryBytes(dir: string): number {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0; // not created yet: a new database
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(full);
    else if (entry.isFile()) total += statSync(full, { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}

function startWorker(workerData: EmbeddedWorkerData): Worker {
  // The build runs plain JavaScript; from the TypeScript sources the thread first registers tsx.
  const entry = import.meta.url.endsWith('.ts') ? './embedded-worker-tsx.mjs' : './embedded-worker.js';
  return new Worker(new URL(entry, import.meta.url), { workerData });
}

function nextMessage(worker: Worker): Promise<EmbeddedWorkerMessage> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (message: EmbeddedWorkerMessage) => {
      cleanup();
      resolve(message);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`the embedded database thread exited (code ${code})`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

import { Worker } from 'node:worker_threads';
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
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  maxConnections: number,
): Promise<EmbeddedPostgres> {
  const worker = startWorker({ dataDir, maxConnections } satisfies EmbeddedWorkerData);
  const first = await nextMessage(worker);
  if (first.type !== 'listening') {
    await worker.terminate();
    throw new Error(
      `The embedded database under ${dataDir} did not start: ${first.type === 'failed' ? first.message : first.type}`,
    );
  }
  let closing: Promise<void> | undefined;
  return {
    url: `postgres://postgres:postgres@${first.address}/postgres`,
    close() {
      closing ??= (async () => {
        worker.postMessage({ type: 'close' });
        // PGlite flushes its data directory on close; a worker that died already has nothing left to flush.
        await nextMessage(worker).catch(() => {});
        await worker.terminate();
      })();
      return closing;
    },
  };
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

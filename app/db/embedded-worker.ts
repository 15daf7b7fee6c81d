import { mkdirSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { fixPgliteSocketQueue } from './pglite-queue.js';

/** Runs in a worker thread started by embedded.ts: PGlite and its socket server, off the API's event loop. */
export interface EmbeddedWorkerData {
  dataDir: string;
  maxConnections: number;
  /** shared_buffers in MB (see defaultCacheMb in embedded.ts). */
  cacheMb: number;
}
export type EmbeddedWorkerMessage =
  | { type: 'listening'; address: string }
  | { type: 'failed'; message: string }
  | { type: 'closed' };

const port = parentPort!;
const { dataDir, maxConnections, cacheMb } = workerData as EmbeddedWorkerData;
const post = (message: EmbeddedWorkerMessage) => port.postMessage(message);

try {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({
    dataDir,
    extensions: { vector },
    // A start parameter, not postgresql.conf: PGlite would replace the whole file (time zone, locale) with it.
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${cacheMb}MB`],
  });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  fixPgliteSocketQueue(server);
  await server.start();
  port.on('message', async (message: { type: 'close' }) => {
    if (message.type !== 'close') return;
    await server.stop().catch(() => {});
    await db.close().catch(() => {});
    post({ type: 'closed' });
    port.close();
  });
  post({ type: 'listening', address: server.getServerConn() });
} catch (error) {
  post({ type: 'failed', message: (error as Error).message || String(error) });
  port.close();
}

import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { fixPgliteSocketQueue } from './pglite-queue.js';

export interface EmbeddedPostgres {
  /** A `postgres://` URL for node-postgres, on 127.0.0.1 and a free port. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL compiled to WASM) with pgvector, persisted in `dataDir`, and serves it on the
 * Postgres wire protocol so the application talks to it through the same `pg` pool as to a real server.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  maxConnections: number,
): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create({ dataDir, extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  fixPgliteSocketQueue(server);
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgres://postgres:postgres@${address}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

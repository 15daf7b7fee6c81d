import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCacheMb, type EmbeddedPostgres, startEmbeddedPostgres } from '../../app/db/embedded.js';

/**
 * The embedded database serves every connection from one PGlite backend. Many connections at once, mixing
 * parameterised queries (several protocol messages each), transactions and failing statements, must each get
 * their own answers — see app/db/pglite-queue.ts for the two pglite-socket defects this once hit.
 */

let dir: string;
let embedded: EmbeddedPostgres;
let pool: pg.Pool;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'docuchat-pglite-'));
  embedded = await startEmbeddedPostgres(path.join(dir, 'pgdata'), 12);
  pool = new pg.Pool({ connectionString: embedded.url, max: 10, connectionTimeoutMillis: 20_000 });
  await pool.query('CREATE TABLE items (id serial PRIMARY KEY, owner int NOT NULL, note text NOT NULL)');
});
afterAll(async () => {
  await pool?.end();
  await embedded?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded PostgreSQL under concurrent connections', () => {
  it('300 interleaved parameterised queries, transactions and failures each get their own answer', async () => {
    const work = Array.from({ length: 300 }, async (_, i) => {
      switch (i % 3) {
        case 0: {
          const { rows } = await pool.query<{ echo: number; label: string }>(
            'SELECT $1::int AS echo, $2::text AS label',
            [i, `label-${i}`],
          );
          return rows[0]!.echo === i && rows[0]!.label === `label-${i}`
            ? 'ok'
            : `mixed up: ${JSON.stringify(rows)}`;
        }
        case 1: {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            await client.query('INSERT INTO items (owner, note) VALUES ($1, $2)', [i, `note ${i}`]);
            const { rows } = await client.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM items WHERE owner = $1',
              [i],
            );
            await client.query('COMMIT');
            return rows[0]!.n === 1 ? 'ok' : `saw ${rows[0]!.n} rows`;
          } finally {
            client.release();
          }
        }
        default: {
          // A statement that fails inside the extended protocol must fail alone.
          const error = await pool.query('SELECT $1::int / 0', [i]).then(
            () => undefined,
            (e: Error) => e.message,
          );
          return error === 'division by zero' ? 'ok' : `unexpected: ${error}`;
        }
      }
    });
    const results = await Promise.all(work);
    expect(results.filter((r) => r !== 'ok')).toEqual([]);
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM items');
    expect(rows[0]!.n).toBe(100);
  });

  it('a long statement does not stall the process: HTTP is served while it runs', async () => {
    // PGlite executes synchronously on the thread that owns it; it runs on its own thread, so a slow query
    // (a big ingestion, a cold HNSW scan) leaves the API answering. Here a round of HTTP completes while the
    // database is still inside one statement.
    const http = createServer((_req, res) => res.end('live'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      let sleeping = true;
      const slow = pool.query('SELECT pg_sleep(3)').finally(() => {
        sleeping = false;
      });
      // Wait until the backend is inside the statement: a second connection's query queues behind it.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const { port } = http.address() as { port: number };
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(body).toBe('live');
      expect(sleeping).toBe(true);
      await slow;
    } finally {
      http.close();
    }
  });

  it('sizes its page cache to the data stored, and keeps the rest of its configuration', async () => {
    const own = mkdtempSync(path.join(tmpdir(), 'docuchat-pglite-cache-'));
    const settings = async (cacheMb?: number) => {
      const db = await startEmbeddedPostgres(path.join(own, 'pgdata'), 2, { cacheMb });
      const client = new pg.Client({ connectionString: db.url });
      try {
        await client.connect();
        const show = async (name: string) => Object.values((await client.query(`SHOW ${name}`)).rows[0])[0];
        return { cache: await show('shared_buffers'), timeZone: await show('TimeZone') };
      } finally {
        await client.end();
        await db.close();
      }
    };
    try {
      // A new database starts with PGlite's 128 MB.
      expect(await settings()).toEqual({ cache: '128MB', timeZone: 'UTC' });
      // 600 MB of stored relations (a sparse file stands in for a large team's index): half of it, in 64 MB steps,
      // unless the machine is small.
      const padding = path.join(own, 'pgdata', 'base', 'padding');
      writeFileSync(padding, '');
      truncateSync(padding, 600 * 2 ** 20);
      const expected = defaultCacheMb(path.join(own, 'pgdata'));
      expect(expected).toBe(Math.max(128, Math.min(320, Math.floor(os.totalmem() / 8 / 2 ** 20))));
      expect(await settings()).toEqual({ cache: `${expected}MB`, timeZone: 'UTC' });
      // An explicit size (EMBEDDED_DB_CACHE_MB) wins.
      expect(await settings(192)).toEqual({ cache: '192MB', timeZone: 'UTC' });
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});

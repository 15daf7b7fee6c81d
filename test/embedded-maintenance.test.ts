import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../app/db/index.js';
import { EmbeddedMaintenance } from '../app/server/embedded-maintenance.js';
import { startTestServer } from './support/server.js';

/**
 * PGlite has no autovacuum; the server analyses the embedded database itself, or the planner works without
 * statistics (at 100k chunks it then scanned a large team's vectors exactly: 270 ms per question).
 */

let dataDir: string;
let db: Database;
const open = () =>
  openDatabase({ DATABASE_URL: undefined, DATABASE_POOL_SIZE: 2, dataDir, EMBEDDING_DIMENSIONS: 4 });
const quiet = pino({ level: 'silent' });

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-maintenance-'));
  db = await open();
}, 60_000);

afterAll(async () => {
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const statisticsOf = async (table: string) =>
  (
    await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stats WHERE tablename = $1', [
      table,
    ])
  ).rows[0]!.n;
const analysed = (actions: { table: string }[], table: string) => actions.some((a) => a.table === table);

describe('embedded database maintenance', () => {
  it('analyses a table when it gets its first rows and once a tenth of it changed, and leaves it alone otherwise', async () => {
    const maintenance = new EmbeddedMaintenance(db.pool, quiet);
    await maintenance.runOnce();
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO tenants (slug, name) VALUES ('upkeep', 'Upkeep') RETURNING id`,
    );
    const tenantId = rows[0]!.id;
    const { rows: docs } = await db.pool.query<{ id: string }>(
      `INSERT INTO documents (tenant_id, name, kind, mime_type, size_bytes, sha256, status, pages_total)
       VALUES ($1, 'a.md', 'markdown', 'text/markdown', 1, 'x', 'ready', 1) RETURNING id`,
      [tenantId],
    );
    // One row, far below the threshold, but the table had no statistics.
    expect(await statisticsOf('documents')).toBe(0);
    expect(analysed(await maintenance.runOnce(), 'documents')).toBe(true);
    expect(await statisticsOf('documents')).toBeGreaterThan(0);
    expect(analysed(await maintenance.runOnce(), 'documents')).toBe(false);

    await db.pool.query(
      `INSERT INTO chunks (tenant_id, document_id, ordinal, content, tokens, embedding)
       SELECT $1, $2, n, 'chunk ' || n, 2, '[1,2,3,4]' FROM generate_series(1, 300) n`,
      [tenantId, docs[0]!.id],
    );
    expect(analysed(await maintenance.runOnce(), 'chunks')).toBe(true);
    expect(await statisticsOf('chunks')).toBeGreaterThan(0);
    expect(analysed(await maintenance.runOnce(), 'chunks')).toBe(false);

    // A table whose rows came and went between two passes (an ingestion job) has pages but nothing to take
    // statistics from: it is analysed once, not on every pass.
    await db.pool.query(
      `INSERT INTO ingestion_jobs (tenant_id, document_id, content) VALUES ($1, $2, '\\x7b7d')`,
      [tenantId, docs[0]!.id],
    );
    await db.pool.query('DELETE FROM ingestion_jobs');
    expect(analysed(await maintenance.runOnce(), 'ingestion_jobs')).toBe(true);
    expect(analysed(await maintenance.runOnce(), 'ingestion_jobs')).toBe(false);

    await db.pool.query('DELETE FROM chunks WHERE ordinal <= 20'); // 20 changes < 50 + a tenth of 300
    expect(analysed(await maintenance.runOnce(), 'chunks')).toBe(false);
    await db.pool.query('DELETE FROM chunks WHERE ordinal <= 100'); // 100 changes since the ANALYZE
    expect(analysed(await maintenance.runOnce(), 'chunks')).toBe(true);
    expect(analysed(await maintenance.runOnce(), 'chunks')).toBe(false);
  });

  it('after a restart, analyses the tables that hold data but have no statistics', async () => {
    // An install from before the server did this: rows, no statistics.
    await db.pool.query(`DELETE FROM pg_statistic WHERE starelid = 'chunks'::regclass`);
    await db.close();
    db = await open();
    expect(await statisticsOf('chunks')).toBe(0);
    const maintenance = new EmbeddedMaintenance(db.pool, quiet);
    expect(analysed(await maintenance.runOnce(), 'chunks')).toBe(true);
    expect(await statisticsOf('chunks')).toBeGreaterThan(0);
    expect(analysed(await maintenance.runOnce(), 'chunks')).toBe(false);
  });

  it("the server analyses a new install's chunks as soon as its first document is stored", async () => {
    const server = await startTestServer({ DATABASE_URL: '' });
    try {
      const account = await server.signUp();
      const up = await server.upload(
        account.accessToken,
        'notes.md',
        '# Notes\n\nThe spare keys hang in the boiler room.',
        'text/markdown',
      );
      await server.waitForDocument(account.accessToken, up.body.document.id);
      const statistics = async () =>
        Number(
          (await server.db.pool.query(`SELECT count(*) AS n FROM pg_stats WHERE tablename = 'chunks'`))
            .rows[0].n,
        );
      // Not at the next minute's check: the document's arrival starts one.
      for (let waited = 0; (await statistics()) === 0 && waited < 10_000; waited += 100)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await statistics()).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });
});

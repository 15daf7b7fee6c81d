import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, startTestServer, type TestServer } from '../support/server.js';
import { expectJsonError, rowCounts } from './support.js';

/**
 * A full disk under the embedded database, for real: DATA_DIR is a small tmpfs (mounted here; the suite runs as
 * root on this machine and in CI), filled up with a file while the server runs.
 */

const mountPoint = mkdtempSync(path.join(tmpdir(), 'docuchat-small-disk-'));
const filler = path.join(mountPoint, 'filler');
let server: TestServer;
let account: Account;

function fillDisk() {
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(1024 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

beforeAll(async () => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=192m', 'tmpfs', mountPoint]);
  mkdirSync(path.join(mountPoint, 'data'));
  server = await startTestServer({ DATABASE_URL: '', REDIS_URL: '' }, path.join(mountPoint, 'data'));
  account = await server.signUp();
}, 120_000);

afterAll(async () => {
  await server?.stop();
  execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const document = (i: number) =>
  Array.from(
    { length: 3000 },
    (_, k) => `Record ${i}-${k} ${Math.random().toString(36)} is kept on shelf ${k}.`,
  ).join(' ');

describe('disk full under the embedded database', () => {
  it('answers 507 saying so, keeps nothing partial, fails readiness, and recovers once space is back', async () => {
    const before = await server.upload(account.accessToken, 'before.txt', document(0), 'text/plain');
    expect(before.status, before.text).toBe(202);
    await server.waitForDocument(account.accessToken, before.body.document.id);
    expect((await server.api('GET', '/api/v1/health')).status).toBe(200);

    fillDisk();
    try {
      const counts = await rowCounts(server.db.pool);
      let refused: Awaited<ReturnType<TestServer['upload']>> | undefined;
      // The database may still have room in pages it holds: upload until a write needs new space.
      for (let i = 1; i <= 20 && !refused; i++) {
        const res = await server.upload(account.accessToken, `full-${i}.txt`, document(i), 'text/plain');
        if (res.status !== 202) refused = res;
        else await server.waitForDocument(account.accessToken, res.body.document.id);
      }
      expect(refused, 'no upload was refused on a full disk').toBeDefined();
      expectJsonError(refused!, 'upload on a full disk');
      expect(refused!.status).toBe(507);
      expect(refused!.body).toMatchObject({ error: 'insufficient_storage' });
      expect(refused!.body.message).toMatch(/storage is full or unavailable, so nothing was saved/);
      const after = await rowCounts(server.db.pool);
      // Nothing partial: no document without its job or chunks, none stuck half-written.
      const { rows } = await server.db.pool.query(
        `SELECT count(*)::int AS n FROM documents d
          WHERE d.status = 'processing' AND NOT EXISTS (SELECT 1 FROM ingestion_jobs j WHERE j.document_id = d.id)`,
      );
      expect(rows[0].n).toBe(0);
      expect(after.chunks).toBeGreaterThanOrEqual(counts.chunks);
      const health = await server.api('GET', '/api/v1/health');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'unavailable', checks: { database: 'down' } });
      expect(health.body.message).toMatch(/storage is full/);
    } finally {
      rmSync(filler, { force: true });
    }

    const recovered = await server.api('GET', '/api/v1/health');
    expect(recovered.status, recovered.text).toBe(200);
    const again = await server.upload(account.accessToken, 'after.txt', document(99), 'text/plain');
    expect(again.status, again.text).toBe(202);
    expect((await server.waitForDocument(account.accessToken, again.body.document.id)).status).toBe('ready');
  }, 300_000);
});

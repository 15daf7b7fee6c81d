import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vacuum } from '../app/server/vacuum.js';
import { shelvesOf, startTestServer, type TestServer } from './support/server.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-vacuum-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function store(server: TestServer, token: string, name: string, text: string) {
  const up = await server.upload(token, name, text, 'text/markdown');
  await server.waitForDocument(token, up.body.document.id);
  return up.body.document.id as string;
}

/** The chunks' rows on disk: the table and its TOAST (main forks only: a vacuum adds free-space and visibility maps). */
async function chunksBytes(server: TestServer) {
  const { rows } = await server.db.pool.query(
    `SELECT pg_relation_size(oid) + pg_relation_size(reltoastrelid) AS b FROM pg_class WHERE oid = 'chunks'::regclass`,
  );
  return Number(rows[0].b);
}

describe('npm run vacuum', () => {
  it('lets the next document reuse a deleted one’s space, with the server stopped; search answers after it', async () => {
    const env = { DATABASE_URL: '' };
    const first = await startTestServer(env, dataDir);
    const account = await first.signUp();
    const token = account.accessToken;
    const ledgers = await store(first, token, 'ledgers.md', `# Ledgers\n\n${shelvesOf('ledgers')}`);
    await store(
      first,
      token,
      'maps.md',
      `# Maps\n\n${shelvesOf('maps')}\n\nThe harbour chart is kept in drawer nine.`,
    );
    const withBoth = await chunksBytes(first);
    expect((await first.api('DELETE', `/api/v1/documents/${ledgers}`, { token })).status).toBe(204);

    // While the server holds the embedded database, the command refuses.
    await expect(vacuum({ DATA_DIR: dataDir }, { full: false }, () => {})).rejects.toThrow(
      /is in use by process/,
    );
    await first.stop();

    const lines: string[] = [];
    const tables = await vacuum({ DATA_DIR: dataDir }, { full: false }, (l) => lines.push(l));
    expect(tables.at(-1)!.table).toBe('chunks');
    expect(lines.at(-1)).toMatch(
      /^Done: \d+ tables vacuumed in [\d.]+ s; [\d.]+ [kM]B on disk \(was [\d.]+ [kM]B\)$/,
    );

    const second = await startTestServer(env, dataDir);
    try {
      // A document of the same size goes into the space the deleted one left: the table does not grow.
      await store(second, token, 'letters.md', `# Letters\n\n${shelvesOf('letters')}`);
      // (Without the vacuum it grew from 264 to 392 kB.)
      expect(await chunksBytes(second)).toBeLessThanOrEqual(withBoth);
      const events = await second.chat(token, 'Where is the harbour chart kept?');
      expect(events[0]!.data.sources[0].document_name).toBe('maps.md');
    } finally {
      await second.stop();
    }

    // --full writes each table anew at its live size; search still answers after it.
    const fullLines: string[] = [];
    await vacuum({ DATA_DIR: dataDir }, { full: true }, (l) => fullLines.push(l));
    expect(fullLines.at(-1)).toMatch(/^Done: \d+ tables rewritten in /);
    const third = await startTestServer(env, dataDir);
    try {
      const events = await third.chat(token, 'Where is the harbour chart kept?');
      expect(events[0]!.data.sources[0].document_name).toBe('maps.md');
    } finally {
      await third.stop();
    }
  });
});

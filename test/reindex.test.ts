import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reindex } from '../app/server/reindex.js';
import { startFakeOpenAI } from './fakes/openai.js';
import { shelvesOf, startTestServer, TEST_JWT_SECRET } from './support/server.js';

describe('npm run reindex', () => {
  it('changes the vector dimension of a deployment, re-embedding every chunk, and answers as before', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-reindex-'));
    const first = await startTestServer({ DATABASE_URL: '' }, dataDir);
    const account = await first.signUp();
    const up = await first.upload(
      account.accessToken,
      'notes.md',
      '# Notes\n\nThe backup tapes are kept in vault seven.',
      'text/markdown',
    );
    await first.waitForDocument(account.accessToken, up.body.document.id);
    await first.stop();

    // A server started with another dimension refuses, and says what to do.
    await expect(startTestServer({ DATABASE_URL: '', EMBEDDING_DIMENSIONS: '256' }, dataDir)).rejects.toThrow(
      /npm run reindex/,
    );

    const lines: string[] = [];
    const done = await reindex(
      { DATA_DIR: dataDir, EMBEDDING_DIMENSIONS: '256', JWT_SECRET: TEST_JWT_SECRET },
      (l) => lines.push(l),
    );
    expect(done).toBeGreaterThan(0);
    expect(lines.at(-1)).toBe(`Done: ${done} chunk(s) re-embedded`);

    const second = await startTestServer({ DATABASE_URL: '', EMBEDDING_DIMENSIONS: '256' }, dataDir);
    try {
      const { rows } = await second.db.pool.query(
        `SELECT vector_dims(embedding) AS dims FROM chunks LIMIT 1`,
      );
      expect(rows[0].dims).toBe(256);
      const events = await second.chat(account.accessToken, 'Where are the backup tapes kept?');
      expect(events[0]!.data.sources[0].document_name).toBe('notes.md');
    } finally {
      await second.stop();
    }
  });

  it('warns at start when documents were indexed by another embedding model of the same dimension, until reindexed', async () => {
    // The README's path: try DocuChat offline, then add an OpenAI key. Both embedders default to 512 dimensions,
    // so the dimension check passes, but the offline vectors mean nothing to OpenAI's question vectors.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-reindex-model-'));
    const offline = await startTestServer({ DATABASE_URL: '' }, dataDir);
    const account = await offline.signUp();
    // Long enough for some 30 chunks, so the vector index spans pages.
    const filler = shelvesOf('ledgers');
    const up = await offline.upload(
      account.accessToken,
      'notes.md',
      `# Notes\n\nThe spare keys hang in the boiler room.\n\n${filler}`,
      'text/markdown',
    );
    await offline.waitForDocument(account.accessToken, up.body.document.id);
    expect(offline.logs.filter((l) => l.includes('npm run reindex'))).toEqual([]);
    const indexBytes = async (server: typeof offline) =>
      Number(
        (await server.db.pool.query(`SELECT pg_relation_size('chunks_embedding_idx') AS bytes`)).rows[0]
          .bytes,
      );
    const before = await indexBytes(offline);
    await offline.stop();

    const fake = await startFakeOpenAI();
    const openai = { DATABASE_URL: '', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-not-a-real-key' };
    try {
      const switched = await startTestServer(openai, dataDir);
      const warning = switched.logs
        .map((l) => JSON.parse(l))
        .find((l) => l.level === 40 && /reindex/.test(l.msg));
      await switched.stop();
      expect(warning?.msg).toBe(
        '1 document(s) were indexed with local-hashing-v1, but this server embeds questions with text-embedding-3-small: vector search cannot find their chunks until `npm run reindex` re-embeds them',
      );

      const lines: string[] = [];
      await reindex({ ...openai, DATA_DIR: dataDir, JWT_SECRET: TEST_JWT_SECRET }, (l) => lines.push(l));
      expect(lines.slice(-3)).toEqual([
        'Vacuuming the chunks (every one left a replaced version)',
        'Building the vector index',
        expect.stringMatching(/^Done: \d+ chunk\(s\) re-embedded$/),
      ]);
      const reindexed = await startTestServer(openai, dataDir);
      try {
        expect(reindexed.logs.filter((l) => l.includes('npm run reindex'))).toEqual([]);
        const { rows } = await reindexed.db.pool.query(`SELECT DISTINCT embedding_model FROM documents`);
        expect(rows).toEqual([{ embedding_model: 'text-embedding-3-small' }]);
        // The vector index was built again from the re-embedded chunks alone; updated in place, it also kept an
        // entry for every replaced version and grew to about twice its size.
        expect(
          Number((await reindexed.db.pool.query('SELECT count(*) AS n FROM chunks')).rows[0].n),
        ).toBeGreaterThan(20);
        expect(await indexBytes(reindexed)).toBeLessThanOrEqual(before);
      } finally {
        await reindexed.stop();
      }
    } finally {
      await fake.close();
    }
  });
});

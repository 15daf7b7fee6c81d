import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reindex } from '../app/server/reindex.js';
import { startTestServer, TEST_JWT_SECRET } from './support/server.js';

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
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../app/db/index.js';
import { LocalHashingEmbedder } from '../app/server/embeddings/local-hashing-embedder.js';
import {
  candidatesFor,
  efSearchFor,
  HNSW_EF_SEARCH,
  hnswScanSettings,
  retrieveChunks,
  retrieveForTenant,
} from '../app/server/rag/retrieval.js';
import { type Account, startTestServer, type TestServer } from './support/server.js';

describe('tenant-scoped full-text search (migration 004)', () => {
  let server: TestServer;
  let alice: Account;
  let bob: Account;
  let embedder: LocalHashingEmbedder;

  async function addChunks(account: Account, texts: string[]): Promise<string[]> {
    const { rows: docs } = await server.db.pool.query<{ id: string }>(
      `INSERT INTO documents (tenant_id, name, kind, mime_type, size_bytes, sha256, status)
       VALUES ($1, 'notes.md', 'markdown', 'text/markdown', 1, md5(random()::text), 'ready') RETURNING id`,
      [account.tenantId],
    );
    const { rows } = await server.db.pool.query<{ id: string }>(
      `INSERT INTO chunks (tenant_id, document_id, ordinal, content, tokens, embedding)
       SELECT $1, $2, o, c, 10, e::vector FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS x(c, e, o)
       ORDER BY o RETURNING id`,
      [account.tenantId, docs[0]!.id, texts, texts.map((t) => `[${embedder.embedOne(t).join(',')}]`)],
    );
    return rows.map((r) => r.id);
  }

  const matches = (account: Account, queries: string[]) =>
    withTenant(server.db.pool, account.tenantId, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `SELECT id FROM tenant_text_matches(ARRAY(SELECT to_tsquery('simple', q) FROM unnest($1::text[]) q), 1000)`,
        [queries],
      );
      return rows.map((r) => r.id).sort();
    });

  beforeAll(async () => {
    server = await startTestServer();
    alice = await server.signUp();
    bob = await server.signUp();
    const { rows } = await server.db.pool.query<{ value: string }>(
      `SELECT value FROM settings WHERE key = 'embedding_dimensions'`,
    );
    embedder = new LocalHashingEmbedder(Number(rows[0]!.value));
  });
  afterAll(() => server?.stop());

  it("returns the current tenant's matching chunks only, and none outside a tenant transaction", async () => {
    const mine = await addChunks(alice, ['The zeppelin hangar opens at dawn.', 'Zeppelin tickets are free.']);
    const theirs = await addChunks(bob, ['The zeppelin hangar is closed.']);
    expect(await matches(alice, ["'zeppelin'"])).toEqual([...mine].sort());
    expect(await matches(bob, ["'zeppelin'"])).toEqual(theirs);
    expect(await matches(alice, ["'hangar' & 'dawn'", "'tickets'"])).toEqual([...mine].sort());
    // Without app.tenant_id (the migration user, no tenant transaction) the function finds nothing at all.
    const outside = await server.db.pool.query(
      `SELECT count(*)::int AS n FROM tenant_text_matches(ARRAY[to_tsquery('simple', 'zeppelin')], 1000)`,
    );
    expect(outside.rows[0].n).toBe(0);
    // Only the application role may call it.
    const { rows } = await server.db.pool.query(
      `SELECT has_function_privilege('docuchat_app', 'tenant_text_matches(tsquery[], int)', 'EXECUTE') AS app,
              has_function_privilege('public', 'tenant_text_matches(tsquery[], int)', 'EXECUTE') AS anyone`,
    );
    expect(rows[0]).toEqual({ app: true, anyone: false });
  });

  it('finds the chunk with all but one word of the question among many that share only some of them', async () => {
    const carol = await server.signUp();
    // More chunks matching SOME words than any tier ranks, written first so a scan meets them first.
    await addChunks(
      carol,
      Array.from(
        { length: 250 },
        (_, i) => `Schedule ${i}: the schedule was updated and updated again, as schedules are updated.`,
      ),
    );
    const [target] = await addChunks(carol, [
      'The quarterly turbine inspection schedule for the Tabriz plant is posted at the gate.',
    ]);
    const question = 'When is the quarterly turbine inspection schedule in Tabriz updated?';
    const options = {
      tenantId: carol.tenantId,
      queryText: question,
      queryVector: embedder.embedOne(question),
      topK: 5,
      minSimilarity: 0.2,
    };
    const results = await withTenant(server.db.pool, carol.tenantId, (client) =>
      retrieveChunks(client, options),
    );
    expect(results[0]).toMatchObject({ chunkId: target, textMatch: true });
    // The chat's form, in a transaction of its own, finds the same.
    expect(await retrieveForTenant(server.db.pool, options)).toEqual(results);
  });

  it('runs a tenant transaction with the HNSW scan settings it opens with, and only that transaction', async () => {
    const show = `SELECT current_setting('hnsw.ef_search') AS ef, current_setting('hnsw.iterative_scan') AS scan`;
    const inside = await withTenant(server.db.pool, alice.tenantId, (client) => client.query(show), {
      settings: hnswScanSettings(efSearchFor(candidatesFor(10))),
    });
    expect(inside.rows[0]).toEqual({ ef: String(HNSW_EF_SEARCH), scan: 'relaxed_order' });
    const after = await withTenant(server.db.pool, alice.tenantId, (client) => client.query(show));
    expect(after.rows[0]).toEqual({ ef: '40', scan: 'off' });
  });
});

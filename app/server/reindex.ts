import { ConfigError, loadConfig } from '../config/index.js';
import { openDatabase, withTransaction } from '../db/index.js';
import { encodeVectorArray } from '../db/vector.js';
import { embeddingInput } from './documents/ingestion-worker.js';
import { createEmbedder } from './embeddings/create-embedder.js';

const BATCH = 256;

/**
 * `npm run reindex`: re-embeds every chunk with the configured embedding model and dimension. Run it with the
 * API stopped after changing EMBEDDING_MODEL, EMBEDDING_DIMENSIONS or the provider; a changed dimension also
 * changes the column type. Chunks, their text and their citations stay as they are.
 *
 * The HNSW index is dropped before the updates and built again after them and a vacuum: updating it chunk by chunk
 * was slower than a build, and left an entry for every replaced version, which only a VACUUM repairing the graph
 * removes (10 minutes for a fifth of 100k chunks on the embedded database, which has no autovacuum). If the
 * command stops after re-embedding and before the index is built, search still works, slowly: run it again.
 */
export async function reindex(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<number> {
  const config = loadConfig(env);
  const db = await openDatabase(config, { allowDimensionMismatch: true });
  const embedder = createEmbedder(config);
  try {
    const { rows } = await db.pool.query<{ value: string }>(
      `SELECT value FROM settings WHERE key = 'embedding_dimensions'`,
    );
    const stored = Number(rows[0]?.value);
    const dims = config.EMBEDDING_DIMENSIONS;
    const total = (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks')).rows[0]!.n;
    log(`Re-embedding ${total} chunk(s) with ${embedder.model} (${dims} dimensions; stored: ${stored})`);
    const done = await withTransaction(db.pool, async (client) => {
      await client.query('DROP INDEX IF EXISTS chunks_embedding_idx');
      if (stored !== dims) {
        await client.query('ALTER TABLE chunks ALTER COLUMN embedding DROP NOT NULL');
        await client.query(`ALTER TABLE chunks ALTER COLUMN embedding TYPE vector(${dims}) USING NULL`);
      }
      const vectorOid = Number(
        (await client.query<{ oid: string }>(`SELECT 'vector'::regtype::oid AS oid`)).rows[0]!.oid,
      );
      let done = 0;
      for (let offset = 0; offset < total; offset += BATCH) {
        const batch = await client.query<{ id: string; content: string; heading_path: string[] }>(
          'SELECT id, content, heading_path FROM chunks ORDER BY id LIMIT $1 OFFSET $2',
          [BATCH, offset],
        );
        const vectors = await embedder.embed(
          batch.rows.map((r) => embeddingInput({ content: r.content, headingPath: r.heading_path })),
        );
        await client.query(
          `UPDATE chunks c SET embedding = v.embedding FROM unnest($1::uuid[], $2::vector[]) AS v(id, embedding)
            WHERE c.id = v.id`,
          [batch.rows.map((r) => r.id), encodeVectorArray(vectors, vectorOid)],
        );
        done += batch.rows.length;
        log(`  ${done}/${total}`);
      }
      if (stored !== dims) {
        await client.query('ALTER TABLE chunks ALTER COLUMN embedding SET NOT NULL');
        await client.query(`UPDATE settings SET value = $1 WHERE key = 'embedding_dimensions'`, [
          String(dims),
        ]);
      }
      await client.query(`UPDATE documents SET embedding_model = $1 WHERE status = 'ready'`, [
        embedder.model,
      ]);
      return done;
    });
    log('Vacuuming the chunks (every one left a replaced version)');
    await db.pool.query('VACUUM (ANALYZE) chunks');
    log('Building the vector index');
    await db.pool.query(
      'CREATE INDEX IF NOT EXISTS chunks_embedding_idx ON chunks USING hnsw (embedding vector_cosine_ops)',
    );
    log(`Done: ${done} chunk(s) re-embedded`);
    return done;
  } finally {
    await db.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  reindex(process.env, (line) => process.stdout.write(`${line}\n`)).catch((error: Error) => {
    process.stderr.write(
      `${error instanceof ConfigError ? error.message : `Reindex failed: ${error.message}`}\n`,
    );
    process.exit(1);
  });
}

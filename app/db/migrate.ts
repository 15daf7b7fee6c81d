import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Arbitrary constant: every replica takes the same advisory lock, so only one applies migrations. */
const MIGRATION_LOCK_KEY = 4_242_001;

export interface MigrationOptions {
  /** Vector dimension written into the schema the first time (see `002_rag.sql`). */
  embeddingDimensions: number;
}

export interface Migration {
  version: string;
  sql: string;
}

export function listMigrations(options: MigrationOptions): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: file.replace(/\.sql$/, ''),
      sql: readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8').replaceAll(
        '{{EMBEDDING_DIMENSIONS}}',
        String(options.embeddingDimensions),
      ),
    }));
}

/**
 * Applies pending migrations, each in its own transaction, recorded in `schema_migrations`. Idempotent, and
 * safe when several replicas start at once: the advisory lock makes the others wait and then find nothing to do.
 * Returns the versions it applied.
 */
export async function runMigrations(pool: pg.Pool, options: MigrationOptions): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set(
      (await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const migration of listMigrations(options)) {
      if (done.has(migration.version)) continue;
      try {
        await client.query('BEGIN');
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
        await client.query('COMMIT');
        applied.push(migration.version);
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${migration.version} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    client.release();
  }
  return applied;
}

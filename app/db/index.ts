import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config/index.js';
import { startEmbeddedPostgres } from './embedded.js';
import { databaseLocation, isDatabaseUnavailable } from './errors.js';
import { runMigrations } from './migrate.js';

export { databaseLocation, isDatabaseUnavailable } from './errors.js';
export { APP_ROLE, isUuid, type Queryable, withTenant, withTransaction } from './tenant.js';

// bigint columns (token counts, sizes) arrive as JS numbers: they stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

export interface Database {
  pool: pg.Pool;
  /** True when running on the embedded PGlite server (no DATABASE_URL). */
  embedded: boolean;
  close(): Promise<void>;
}

export type DatabaseConfig = Pick<
  Config,
  'DATABASE_URL' | 'DATABASE_POOL_SIZE' | 'dataDir' | 'EMBEDDING_DIMENSIONS' | 'EMBEDDED_DB_CACHE_MB'
>;

/**
 * Opens the database: PostgreSQL at DATABASE_URL, or embedded PGlite under the data directory. Applies
 * migrations and checks the deployment's vector dimension.
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: { allowDimensionMismatch?: boolean } = {},
): Promise<Database> {
  const embedded = config.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(path.join(config.dataDir, 'pgdata'), config.DATABASE_POOL_SIZE + 2, {
        cacheMb: config.EMBEDDED_DB_CACHE_MB,
      });
  const connectionString = config.DATABASE_URL ?? embedded!.url;
  const pool = new pg.Pool({
    connectionString,
    max: config.DATABASE_POOL_SIZE,
    connectionTimeoutMillis: 10_000,
    application_name: 'docuchat',
  });
  // An idle client losing its server must not crash the process; the next query reports the error.
  pool.on('error', () => {});
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await pool.end().catch(() => {});
    await embedded?.close();
  };
  try {
    await runMigrations(pool, { embeddingDimensions: config.EMBEDDING_DIMENSIONS });
    const { rows } = await pool.query<{ value: string }>(
      `SELECT value FROM settings WHERE key = 'embedding_dimensions'`,
    );
    const stored = Number(rows[0]?.value);
    if (stored !== config.EMBEDDING_DIMENSIONS && !options.allowDimensionMismatch) {
      throw new Error(
        `The database stores ${stored}-dimensional vectors but EMBEDDING_DIMENSIONS is ${config.EMBEDDING_DIMENSIONS}: run \`npm run reindex\` to re-embed every chunk, or set EMBEDDING_DIMENSIONS=${stored}`,
      );
    }
  } catch (error) {
    await close();
    // "connect ECONNREFUSED 10.0.0.5:5432" alone does not say which service is missing.
    if (isDatabaseUnavailable(error)) {
      throw new Error(
        `Cannot reach the database at ${databaseLocation(connectionString)}: ${(error as Error).message || (error as { code?: string }).code}`,
        { cause: error },
      );
    }
    throw error;
  }
  return { pool, embedded: Boolean(embedded), close };
}

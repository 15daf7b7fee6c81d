import { ConfigError, loadConfig } from '../config/index.js';
import { openDatabase } from '../db/index.js';

export interface VacuumedTable {
  table: string;
  /** Table and indexes on disk, before and after: a plain vacuum makes space reusable, `--full` gives it back. */
  bytesBefore: number;
  bytesAfter: number;
  ms: number;
}

const SIZES = `SELECT c.oid::regclass::text AS table, greatest(c.reltuples, 0)::bigint AS rows,
                      pg_total_relation_size(c.oid) AS bytes
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind = 'r'`;

const size = (bytes: number) =>
  bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * `npm run vacuum [-- --full]`: vacuums every table, with the server stopped. The embedded database has no
 * autovacuum (PGlite runs PostgreSQL in single-user mode) and the server does not vacuum while it serves (see
 * embedded-maintenance.ts: for the chunks it means repairing the HNSW graph, 10 minutes after a fifth of 100k
 * chunks was deleted, with every request waiting). Deleted documents and replaced rows leave space that only a
 * vacuum makes reusable, and vector index entries that searches skip one by one. `--full` also rewrites each table
 * and its indexes into new files of their live size (the chunks in migration 006's layout): slower, and it needs
 * that much free disk. On PostgreSQL with autovacuum it is rarely needed, and harmless.
 */
export async function vacuum(
  env: NodeJS.ProcessEnv,
  options: { full: boolean },
  log: (line: string) => void,
): Promise<VacuumedTable[]> {
  const config = loadConfig(env);
  // On the embedded database this takes the data directory's lock: a running server makes it stop here.
  const db = await openDatabase(config);
  try {
    const sizes = async () =>
      (await db.pool.query<{ table: string; rows: number; bytes: number }>(`${SIZES} ORDER BY 1`)).rows;
    // The chunks last: with their vector index they take longest.
    const tables = (await sizes()).sort(
      (a, b) => Number(a.table === 'chunks') - Number(b.table === 'chunks'),
    );
    const done: VacuumedTable[] = [];
    for (const t of tables) {
      log(
        `${t.table}: ${t.rows} rows, ${size(t.bytes)}${t.table === 'chunks' ? ' (with the vector index, the longest)' : ''}`,
      );
      const started = performance.now();
      await db.pool.query(`VACUUM (${options.full ? 'FULL, ' : ''}ANALYZE) ${t.table}`);
      done.push({
        table: t.table,
        bytesBefore: t.bytes,
        bytesAfter: t.bytes,
        ms: Math.round(performance.now() - started),
      });
    }
    const after = new Map((await sizes()).map((t) => [t.table, t.bytes]));
    for (const t of done) t.bytesAfter = after.get(t.table) ?? t.bytesAfter;
    const total = (key: 'bytesBefore' | 'bytesAfter') => size(done.reduce((s, t) => s + t[key], 0));
    const seconds = done.reduce((s, t) => s + t.ms, 0) / 1000;
    log(
      `Done: ${done.length} tables ${options.full ? 'rewritten' : 'vacuumed'} in ${seconds.toFixed(1)} s; ` +
        `${total('bytesAfter')} on disk (was ${total('bytesBefore')})`,
    );
    return done;
  } finally {
    await db.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--full');
  if (unknown.length > 0) {
    process.stderr.write(`Unknown argument ${unknown[0]}. Usage: npm run vacuum [-- --full]\n`);
    process.exit(2);
  }
  vacuum(process.env, { full: args.includes('--full') }, (line) => process.stdout.write(`${line}\n`)).catch(
    (error: Error) => {
      process.stderr.write(
        `${error instanceof ConfigError ? error.message : `Vacuum failed: ${error.message}`}\n`,
      );
      process.exit(1);
    },
  );
}

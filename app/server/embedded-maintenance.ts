import type pg from 'pg';
import type { Logger } from 'pino';
import { BackgroundLoop } from './background-loop.js';

export interface MaintenanceAction {
  table: string;
  ms: number;
}

/**
 * Keeps the embedded database's planner statistics current, autovacuum's analyse half. PGlite runs PostgreSQL in
 * single-user mode, where no autovacuum runs: the tables never got statistics, and without them the planner
 * scanned a 60k-chunk team's vectors exactly instead of using the HNSW index (270 ms per question instead of
 * 15 ms at 100k chunks). With autovacuum's default threshold, a table is analysed once a tenth of it changed;
 * tables holding data without statistics are analysed at once (a new install's first documents, below the
 * threshold: on 9 chunks, retrieval took 12-22 ms without statistics and 6 ms with them; an install from before
 * this). ANALYZE holds the database thread for about half a second at 100k chunks.
 *
 * It does not vacuum: a statement holds the one database thread, and after a fifth of 100k chunks was deleted a
 * VACUUM spent 10 minutes repairing the HNSW graph. Pages are still pruned of dead rows as they are read; the
 * space becomes reusable with `npm run vacuum`, server stopped (vacuum.ts). External PostgreSQL has autovacuum.
 */
export class EmbeddedMaintenance {
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    /** Like autovacuum_naptime. */
    intervalMs = 60_000,
  ) {
    this.loop = new BackgroundLoop(
      () =>
        this.runOnce().then(
          () => {},
          (error: Error) => this.logger.warn({ err: error.message }, 'database maintenance failed'),
        ),
      intervalMs,
    );
  }

  start() {
    this.loop.start();
  }

  /** Looks now (after a document was stored) instead of at the next minute. */
  kick() {
    this.loop.kick();
  }

  stop() {
    return this.loop.stop();
  }

  /** One pass: analyses the tables that need it; returns which, and how long each took. */
  async runOnce(): Promise<MaintenanceAction[]> {
    // Change counts reach the statistics views at most once a second; this makes the next read current.
    await this.pool.query('SELECT pg_stat_force_next_flush()');
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT c.oid::regclass::text AS name
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
           -- Rows without statistics: never analysed (reltuples -1), or counted but without statistics. A table
           -- found empty gets none, but its reltuples 0 keeps it from being analysed again on every pass.
           OR (pg_relation_size(c.oid) > 0 AND c.reltuples <> 0
               AND NOT EXISTS (SELECT 1 FROM pg_statistic st WHERE st.starelid = c.oid))
        ORDER BY 1`,
    );
    const done: MaintenanceAction[] = [];
    for (const { name } of rows) {
      const started = performance.now();
      await this.pool.query(`ANALYZE ${name}`);
      const action = { table: name, ms: Math.round(performance.now() - started) };
      this.logger.info(action, 'embedded database analysed');
      done.push(action);
    }
    return done;
  }
}

import type pg from 'pg';
import type { Logger } from 'pino';

export interface MaintenanceAction {
  table: string;
  statement: 'ANALYZE' | 'VACUUM (ANALYZE)';
  ms: number;
}

/**
 * Autovacuum's job for the embedded database. PGlite runs PostgreSQL in single-user mode, where no autovacuum
 * runs: the tables never got statistics, and without them the planner scanned a 60k-chunk team's vectors
 * exactly instead of using the HNSW index (270 ms per question instead of 15 ms at 100k chunks). With the same
 * thresholds as autovacuum's defaults, a table is analysed once a tenth of it changed and vacuumed once a fifth
 * of it is dead rows; on the first pass, tables holding data without statistics (an install from before this,
 * or a restart: PGlite's change counters start at zero) are analysed too. Each statement blocks the database
 * thread while it runs (about half a second for ANALYZE at 100k chunks). External PostgreSQL has autovacuum.
 */
export class EmbeddedMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private firstPass = true;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    /** Like autovacuum_naptime. */
    private readonly intervalMs = 60_000,
  ) {}

  start() {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.tick();
  }

  async stop() {
    clearInterval(this.timer);
    await this.running;
  }

  private tick() {
    if (this.running) return;
    this.running = this.runOnce()
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'database maintenance failed'))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** One pass: analyses and vacuums the tables that need it; returns what it did. */
  async runOnce(): Promise<MaintenanceAction[]> {
    // Change counts reach the statistics views at most once a second; this makes the next read current.
    await this.pool.query('SELECT pg_stat_force_next_flush()');
    const { rows } = await this.pool.query<{ name: string; vacuum: boolean; analyze: boolean }>(
      `SELECT c.oid::regclass::text AS name,
              s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0) AS vacuum,
              s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
                OR ($1 AND pg_relation_size(c.oid) > 0 AND NOT EXISTS (SELECT 1 FROM pg_statistic st WHERE st.starelid = c.oid))
                AS analyze
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        ORDER BY 1`,
      [this.firstPass],
    );
    this.firstPass = false;
    const done: MaintenanceAction[] = [];
    for (const row of rows) {
      if (!row.vacuum && !row.analyze) continue;
      const statement = row.vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE';
      const started = performance.now();
      await this.pool.query(`${statement} ${row.name}`);
      const action = { table: row.name, statement, ms: Math.round(performance.now() - started) } as const;
      this.logger.info(action, 'embedded database maintenance');
      done.push(action);
    }
    return done;
  }
}

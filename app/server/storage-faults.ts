/**
 * Storage faults: the database is up and answers reads, but cannot write (disk full, read-only data directory).
 * A request that hits one gets 507 with a sentence saying so (not a bare 500), and readiness reports the database
 * failing until a write succeeds again, so an operator's probe sees what users see.
 */
import type pg from 'pg';

/**
 * SQLSTATEs of a server that cannot write: 53100 disk_full, 58030 io_error, 25006 read_only_sql_transaction
 * (a read-only replica or `default_transaction_read_only`).
 */
const STORAGE_SQLSTATES = new Set(['53100', '58030', '25006']);
const STORAGE_MESSAGES =
  /No space left on device|Read-only file system|ENOSPC|EROFS|EDQUOT|Disk quota exceeded/i;

export function isStorageFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (STORAGE_SQLSTATES.has(code) || code === 'ENOSPC' || code === 'EROFS'))
      return true;
    if (STORAGE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

export const STORAGE_FULL_MESSAGE =
  "The server's storage is full or unavailable, so nothing was saved. Please try again later; if it persists, tell your administrator.";

/**
 * What readiness knows about writes: after a storage failure it probes with a real write (migration 007's
 * `storage_write_probe`) at each check until one succeeds, then stops probing (a healthy server writes nothing
 * for its health checks).
 */
export class StorageHealth {
  private failing = false;

  noteFailure(): void {
    this.failing = true;
  }

  get suspect(): boolean {
    return this.failing;
  }

  /** Resolves when writes work (or no failure was seen); rejects while they still fail. */
  async check(pool: pg.Pool): Promise<void> {
    if (!this.failing) return;
    await pool.query('SELECT storage_write_probe()');
    this.failing = false;
  }
}

import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One process at a time on an embedded data directory. PGlite does not enforce it: its `postmaster.pid` always
 * says -42, so a second PGlite (a second `npm start`, or `npm run billing` or `reindex` while the server runs)
 * opens the same files and each process caches pages the other overwrites. This is PostgreSQL's own rule, kept
 * the way PostgreSQL keeps it: a lock file naming the process, taken over when that process is gone, so a server
 * that crashed starts again at once.
 */
export const LOCK_FILE = 'docuchat.lock';

/** Data directories this process holds: its own pid in a lock file is a previous process's only if absent here. */
const held = new Set<string>();

export interface DataDirLock {
  release(): void;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    host: string,
  ) {
    super(
      `The embedded database under ${dataDir} is in use by process ${pid}${host === os.hostname() ? '' : ` on ${host}`} ` +
        '(a DocuChat server or command). Stop it first, point this one at another DATA_DIR, or set DATABASE_URL. ' +
        `If no such process runs, delete ${path.join(dataDir, LOCK_FILE)}.`,
    );
    this.name = 'DataDirInUseError';
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  const dir = path.resolve(dataDir);
  const file = path.join(dir, LOCK_FILE);
  if (held.has(dir)) throw new DataDirInUseError(dir, process.pid, os.hostname());
  mkdirSync(dir, { recursive: true });
  // A few rounds: after removing a lock whose process is gone, or one removed by its owner meanwhile.
  for (let round = 0; round < 3; round++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(file);
      if (holder === 'gone') continue;
      if (holder === 'unreadable') {
        // As PostgreSQL does with an empty postmaster.pid: another process may be writing it this instant.
        throw new Error(
          `The lock file ${file} names no process: another DocuChat may be starting. If none is, delete the file.`,
        );
      }
      if (isRunning(holder)) throw new DataDirInUseError(dir, holder.pid, holder.host);
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n${os.hostname()}\n`);
    } finally {
      closeSync(fd);
    }
    held.add(dir);
    return {
      release() {
        if (!held.delete(dir)) return;
        rmSync(file, { force: true });
      },
    };
  }
  throw new Error(`Could not take the lock ${file}: another process keeps replacing it`);
}

interface Holder {
  pid: number;
  host: string;
}

function readHolder(file: string): Holder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  const [pid, host] = text.split('\n');
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 ? { pid: n, host: host || os.hostname() } : 'unreadable';
}

function isRunning({ pid, host }: Holder): boolean {
  // Another machine's process cannot be checked from here (a data directory on a shared disk): assume it runs.
  if (host !== os.hostname()) return true;
  // Our own pid from an earlier process (a container restarted as pid 1): that process is gone.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

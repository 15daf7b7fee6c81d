import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../app/db/embedded.js';
import { LOCK_FILE } from '../app/db/embedded-lock.js';
import { runBillingCli } from '../billing/cli.js';
import { startTestServer } from './support/server.js';

/**
 * One process at a time on an embedded data directory (app/db/embedded-lock.ts). PGlite lets a second process
 * open the same files, and each then caches pages the other overwrites: a second `npm start`, or the billing job
 * run while the server holds the directory, must be refused with a line that says what to do.
 */

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('embedded data directory lock', () => {
  it('refuses a second process while the first runs, and lets it in at once when the first is killed', async () => {
    const pgdata = path.join(tempDir('docuchat-lock-'), 'pgdata');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/hold-embedded-database.ts'), pgdata],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      while (!out.includes('ready')) {
        if (child.exitCode !== null) throw new Error(`the holding process exited (${child.exitCode})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await expect(startEmbeddedPostgres(pgdata, 4)).rejects.toThrow(
        `The embedded database under ${pgdata} is in use by process ${child.pid}`,
      );
    } finally {
      child.kill('SIGKILL');
      if (child.exitCode === null) await once(child, 'exit');
    }

    // The killed process left its lock behind; its process is gone, so the next one takes over without waiting.
    expect(existsSync(path.join(pgdata, LOCK_FILE))).toBe(true);
    const embedded = await startEmbeddedPostgres(pgdata, 4);
    try {
      expect(await query(embedded.url, 'SELECT note FROM kept')).toEqual([
        { note: 'committed before the crash' },
      ]);
    } finally {
      await embedded.close();
    }
    expect(existsSync(path.join(pgdata, LOCK_FILE))).toBe(false);
  });

  it('the billing job refuses the data directory of a running server, and runs once the server stops', async () => {
    const dataDir = tempDir('docuchat-lock-billing-');
    const env = { DATA_DIR: dataDir, DATABASE_URL: '' };
    const server = await startTestServer(env, dataDir);
    const errors: string[] = [];
    const io = { print: () => {}, printError: (line: string) => errors.push(line) };
    try {
      expect(await runBillingCli(['--dry-run'], env, io)).toBe(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(
        `cannot open the database: The embedded database under ${path.join(dataDir, 'pgdata')} is in use by process ${process.pid}`,
      );
      // The server was not disturbed.
      expect((await server.api('GET', '/api/v1/health')).status).toBe(200);
    } finally {
      await server.stop();
    }
    errors.length = 0;
    expect(await runBillingCli(['--dry-run'], env, io), errors.join('\n')).toBe(0);
  });

  it('a database that fails to start gives its directory back: the next attempt reports the same failure', async () => {
    const pgdata = path.join(tempDir('docuchat-lock-broken-'), 'pgdata');
    mkdirSync(pgdata, { recursive: true });
    writeFileSync(path.join(pgdata, 'PG_VERSION'), '9\n'); // a data directory of another PostgreSQL
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(startEmbeddedPostgres(pgdata, 4)).rejects.toThrow(
        `The embedded database under ${pgdata} did not start`,
      );
      expect(existsSync(path.join(pgdata, LOCK_FILE))).toBe(false);
    }
  });

  it('a lock file that names no process is not taken over', async () => {
    const pgdata = path.join(tempDir('docuchat-lock-empty-'), 'pgdata');
    await startEmbeddedPostgres(pgdata, 4).then((db) => db.close());
    writeFileSync(path.join(pgdata, LOCK_FILE), '');
    await expect(startEmbeddedPostgres(pgdata, 4)).rejects.toThrow('names no process');
  });
});

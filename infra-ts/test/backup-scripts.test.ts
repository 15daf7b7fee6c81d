/**
 * The backup and restore-verification scripts run for real against PostgreSQL from Debian (the `postgresql`
 * package; the jobs run the same scripts in the pgvector image). PostgreSQL refuses to run as root, so the
 * scripts run as the `postgres` user, as they do in the pods.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupScript, restoreVerifyScript } from '../components/backup-scripts.js';

const PG_BIN = existsSync('/usr/lib/postgresql')
  ? path.join('/usr/lib/postgresql', readdirSync('/usr/lib/postgresql').sort().pop()!, 'bin')
  : '';
const available = PG_BIN !== '' && existsSync(path.join(PG_BIN, 'initdb'));

let root: string;
let uid = 0;
let gid = 0;

/** Runs a bash script as the postgres user with the PostgreSQL binaries on PATH. */
function runAsPostgres(script: string, env: Record<string, string> = {}) {
  return spawnSync('bash', ['-c', script], {
    uid: process.getuid?.() === 0 ? uid : undefined,
    gid: process.getuid?.() === 0 ? gid : undefined,
    env: { PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: root, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

function ownedDir(name: string): string {
  const dir = path.join(root, name);
  execFileSync('mkdir', ['-p', dir]);
  if (process.getuid?.() === 0) chownSync(dir, uid, gid);
  return dir;
}

it('has PostgreSQL to run the backup scripts against (apt-get install postgresql; .ci/run installs it)', () => {
  expect(available).toBe(true);
});

describe.runIf(available)('backup and restore-verification scripts', () => {
  let server: string;
  let backups: string;
  const pgEnv = () => ({ PGHOST: server, PGUSER: 'docuchat', PGDATABASE: 'docuchat' });

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'docuchat-backup-'));
    chmodSync(root, 0o755);
    if (process.getuid?.() === 0) {
      uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    }
    server = ownedDir('server');
    backups = ownedDir('backups');
    const start = runAsPostgres(`set -e
initdb -D ${server}/data --username=docuchat --auth=trust >/dev/null
pg_ctl -D ${server}/data --wait -l ${server}/log --options="-c listen_addresses='' -c unix_socket_directories=${server}" start >/dev/null
createdb -h ${server} -U docuchat docuchat
psql -q -v ON_ERROR_STOP=1 -h ${server} -U docuchat docuchat <<'SQL'
CREATE ROLE docuchat_app NOLOGIN;
CREATE TABLE tenants (id int PRIMARY KEY, slug text NOT NULL);
CREATE TABLE documents (id int PRIMARY KEY, tenant_id int REFERENCES tenants(id), title text);
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents TO docuchat_app USING (tenant_id = 1);
INSERT INTO tenants SELECT g, 'tenant-' || g FROM generate_series(1, 3) g;
INSERT INTO documents SELECT g, 1 + g % 3, E'title with \\\\. and tab\\there ' || g FROM generate_series(1, 250) g;
SQL`);
    expect(start.status, start.stderr).toBe(0);
  });

  afterAll(() => {
    if (server) runAsPostgres(`pg_ctl -D ${server}/data --mode=immediate stop`);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('writes a gzip dump and deletes only dumps older than the kept days', () => {
    const old = path.join(backups, 'docuchat-20200101T020000Z.sql.gz');
    const recent = path.join(backups, 'docuchat-20200102T020000Z.sql.gz');
    for (const file of [old, recent]) writeFileSync(file, '');
    const now = Date.now() / 1000;
    utimesSync(old, now - 8 * 86_400, now - 8 * 86_400);
    utimesSync(recent, now - 6 * 86_400, now - 6 * 86_400);
    if (process.getuid?.() === 0) for (const file of [old, recent]) chownSync(file, uid, gid);

    const run = runAsPostgres(backupScript(7, backups), pgEnv());
    expect(run.status, run.stderr).toBe(0);
    const dumps = readdirSync(backups).sort();
    expect(dumps).not.toContain(path.basename(old));
    expect(dumps).toContain(path.basename(recent));
    const written = dumps.filter((f) => f !== path.basename(recent));
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^docuchat-\d{8}T\d{6}Z\.sql\.gz$/);
    expect(run.stdout).toContain(`${path.basename(old)}`);
  });

  it('restores the newest dump into a scratch database and confirms every table’s row count', () => {
    // The empty placeholder from the previous test is older than the real dump, so the real one is newest.
    const scratch = ownedDir('scratch-ok');
    const run = runAsPostgres(restoreVerifyScript(backups, scratch));
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('restore-verify: 2 tables restored with matching row counts');
  });

  it('fails when the newest dump is damaged', () => {
    const damaged = path.join(backups, 'docuchat-29991231T020000Z.sql.gz');
    execFileSync('bash', [
      '-c',
      `ls -1t ${backups}/docuchat-*.sql.gz | head -n1 | xargs cat | head -c 600 > ${damaged}`,
    ]);
    if (process.getuid?.() === 0) chownSync(damaged, uid, gid);
    const scratch = ownedDir('scratch-damaged');
    const run = runAsPostgres(restoreVerifyScript(backups, scratch));
    expect(run.status).not.toBe(0);
    rmSync(damaged);
  });

  it('fails when there is no dump at all', () => {
    const empty = ownedDir('empty-backups');
    const run = runAsPostgres(restoreVerifyScript(empty, ownedDir('scratch-empty')));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no dump found');
  });
});

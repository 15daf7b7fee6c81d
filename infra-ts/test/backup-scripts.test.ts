/**
 * The backup and restore-verification scripts run for real against PostgreSQL from Debian (the `postgresql`
 * package; the jobs run the same scripts in the pgvector image), and the object-store steps with the AWS CLI
 * the jobs run (Debian's awscli, the version of the amazon/aws-cli image) against an S3 server on loopback
 * (s3rver). PostgreSQL refuses to run as root, so the scripts run as the `postgres` user, as in the pods.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
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
import { promisify } from 'node:util';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backupScript,
  fetchLatestScript,
  restoreVerifyScript,
  uploadScript,
} from '../components/backup-scripts.js';
import { readStackConfig } from '../stack-files.js';
import { REPO_ROOT } from '../synth.js';

const PG_BIN = existsSync('/usr/lib/postgresql')
  ? path.join('/usr/lib/postgresql', readdirSync('/usr/lib/postgresql').sort().pop()!, 'bin')
  : '';
const available = PG_BIN !== '' && existsSync(path.join(PG_BIN, 'initdb'));
/** Debian's AWS CLI (a pyenv shim may put another `aws` first on a developer's PATH). */
const AWS = '/usr/bin/aws';
const awsAvailable = existsSync(AWS);

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

const execFileAsync = promisify(execFile);

/**
 * {@link runAsPostgres} without blocking this process, for the scripts that talk to the S3 server it runs.
 */
async function runAsPostgresAsync(script: string, env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await execFileAsync('bash', ['-c', script], {
      uid: process.getuid?.() === 0 ? uid : undefined,
      gid: process.getuid?.() === 0 ? gid : undefined,
      env: { PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: root, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      status: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    };
  }
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

it('has the AWS CLI the backup jobs run, at the image’s version (apt-get install awscli; .ci/run installs it)', () => {
  expect(awsAvailable).toBe(true);
  const image = readStackConfig('prod', REPO_ROOT).images.awsCli;
  expect(execFileSync(AWS, ['--version'], { encoding: 'utf8' })).toMatch(
    new RegExp(`^aws-cli/${image.tag.replaceAll('.', '\\.')} `),
  );
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

  describe.runIf(awsAvailable)('off the cluster: the S3-compatible bucket', () => {
    const BUCKET = 'docuchat-test-backups';
    let s3: S3rver;
    let endpoint: string;
    const sseHeaders: Array<string | undefined> = [];
    const s3Env = (extra: Record<string, string> = {}) => ({
      S3_ENDPOINT: endpoint,
      S3_BUCKET: BUCKET,
      S3_PREFIX: 'postgresql/',
      S3_SSE: 'AES256',
      S3_PATH_STYLE: 'true',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      TMPDIR: ownedDir(`aws-${Math.random().toString(36).slice(2)}`),
      ...extra,
    });
    const awsEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    const s3api = (...args: string[]) =>
      execFileAsync(AWS, ['--endpoint-url', endpoint, 's3api', ...args], { encoding: 'utf8', env: awsEnv });
    const keys = async () =>
      (
        await s3api('list-objects-v2', '--bucket', BUCKET, '--query', 'Contents[].Key', '--output', 'text')
      ).stdout
        .trim()
        .split(/\s+/)
        .filter((k) => k !== 'None' && k !== '')
        .sort();

    beforeAll(async () => {
      s3 = new S3rver({
        address: '127.0.0.1',
        port: 0,
        silent: true,
        directory: ownedDir('s3'),
        configureBuckets: [{ name: BUCKET, configs: [] }],
      });
      // Record what the client asks for on each upload (s3rver accepts, but does not keep, the SSE header).
      (
        s3 as unknown as {
          middleware: Array<
            (
              ctx: { method: string; headers: Record<string, string> },
              next: () => Promise<void>,
            ) => Promise<void>
          >;
        }
      ).middleware.unshift(async (ctx, next) => {
        if (ctx.method === 'PUT') sseHeaders.push(ctx.headers['x-amz-server-side-encryption']);
        await next();
      });
      const address = await s3.run();
      endpoint = `http://127.0.0.1:${address.port}`;
      // Five weeks of older dumps, two on the last day: retention must keep only what its policy names.
      const older = Array.from(
        { length: 31 },
        (_, i) => `docuchat-202003${String(i + 1).padStart(2, '0')}T020000Z`,
      );
      const seed = ownedDir('s3-seed');
      for (const name of [...older, 'docuchat-20200331T230000Z'])
        writeFileSync(path.join(seed, `${name}.sql.gz`), '');
      writeFileSync(path.join(seed, 'unrelated-notes.txt'), '');
      await execFileAsync(
        AWS,
        ['--endpoint-url', endpoint, 's3', 'sync', seed, `s3://${BUCKET}/postgresql/`, '--only-show-errors'],
        {
          env: awsEnv,
        },
      );
    });
    afterAll(async () => {
      await s3?.close();
    });

    it('uploads the newest dump encrypted, then keeps the newest of each of 7 days and 4 weeks', async () => {
      const run = await runAsPostgresAsync(uploadScript({ daily: 7, weekly: 4 }, backups), s3Env());
      expect(run.status, run.stderr).toBe(0);
      const uploaded = readdirSync(backups)
        .filter((f) => /^docuchat-\d{8}T\d{6}Z\.sql\.gz$/.test(f))
        .sort()
        .at(-1)!;
      expect(run.stdout).toContain(`upload: s3://${BUCKET}/postgresql/${uploaded}`);
      expect(run.stdout).toContain('encrypted with AES256');
      expect(sseHeaders.at(-1)).toBe('AES256');
      // Today's dump (day 1 of 7, week 1 of 4); 31, 30, 29, 28, 27, 26 March (the later dump of the 31st);
      // the week of 16–22 March through its newest dump. The week of 30 March and of 23–29 March are kept already.
      expect(await keys()).toEqual(
        [
          `postgresql/${uploaded}`,
          'postgresql/docuchat-20200322T020000Z.sql.gz',
          'postgresql/docuchat-20200326T020000Z.sql.gz',
          'postgresql/docuchat-20200327T020000Z.sql.gz',
          'postgresql/docuchat-20200328T020000Z.sql.gz',
          'postgresql/docuchat-20200329T020000Z.sql.gz',
          'postgresql/docuchat-20200330T020000Z.sql.gz',
          'postgresql/docuchat-20200331T230000Z.sql.gz',
          'postgresql/unrelated-notes.txt',
        ].sort(),
      );
      expect(run.stdout).toContain('upload: 8 dumps kept');
    });

    it('restores from the bucket, not from the local volume, and confirms every table', async () => {
      const restore = ownedDir('restore-from-s3');
      const fetch = await runAsPostgresAsync(fetchLatestScript(restore), s3Env());
      expect(fetch.status, fetch.stderr).toBe(0);
      const fetched = readdirSync(restore);
      expect(fetched).toHaveLength(1);
      expect(fetch.stdout).toContain(`restore-verify: fetched s3://${BUCKET}/postgresql/${fetched[0]}`);
      const run = await runAsPostgresAsync(restoreVerifyScript(restore, ownedDir('scratch-s3')));
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('restore-verify: 2 tables restored with matching row counts');
    });

    it('fails the job when the bucket holds no dump, or the upload cannot reach its bucket', async () => {
      const empty = await runAsPostgresAsync(
        fetchLatestScript(ownedDir('restore-empty')),
        s3Env({ S3_PREFIX: 'nothing-here/' }),
      );
      expect(empty.status).toBe(1);
      expect(empty.stderr).toContain(`no dump in s3://${BUCKET}/nothing-here/`);
      const wrong = await runAsPostgresAsync(
        uploadScript({ daily: 7, weekly: 4 }, backups),
        s3Env({ S3_BUCKET: 'no-such-bucket' }),
      );
      expect(wrong.status).not.toBe(0);
      expect(wrong.stdout).not.toContain('dumps kept');
    });

    it('uploads without asking for encryption where the store offers none', async () => {
      const before = sseHeaders.length;
      const run = await runAsPostgresAsync(
        uploadScript({ daily: 30, weekly: 4 }, backups),
        s3Env({ S3_SSE: '' }),
      );
      expect(run.status, run.stderr).toBe(0);
      expect(sseHeaders.slice(before)).toEqual([undefined]);
    });
  });
});

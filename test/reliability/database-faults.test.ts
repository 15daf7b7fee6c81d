import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../app/db/embedded.js';
import { startDocuChat } from '../../app/server/start.js';
import { freePort } from '../support/redis.js';
import { type Account, startTestServer, type TestServer } from '../support/server.js';
import { CuttableProxy, expectJsonError, expectLogsClean, rowCounts } from './support.js';

const run = promisify(execFile);

let dataDir: string;
let postgres: EmbeddedPostgres;
let proxy: CuttableProxy;
let server: TestServer;
let account: Account;
const secrets = new Set<string>();

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-dbfault-'));
  postgres = await startEmbeddedPostgres(path.join(dataDir, 'pgdata'), 12);
  const target = new URL(postgres.url);
  proxy = new CuttableProxy(target.hostname, Number(target.port));
  await proxy.start();
  server = await startTestServer({
    DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${proxy.port}/postgres`,
    DATABASE_POOL_SIZE: '4',
  });
  account = await server.signUp({ password: 'db-fault-password-1' });
  for (const s of [account.password, account.accessToken, account.refreshToken]) secrets.add(s);
  const up = await server.upload(account.accessToken, 'notes.md', '# Notes\n\nThe harbour opens at dawn.');
  secrets.add('The harbour opens at dawn');
  expect(up.status).toBe(202);
  await server.waitForDocument(account.accessToken, up.body.document.id);
});
afterAll(async () => {
  if (server) expectLogsClean(server.logs, secrets);
  await server?.stop();
  await proxy?.close();
  await postgres?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('database unavailable at start', () => {
  it('startDocuChat rejects with an error that names the unreachable database, without its password', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'docuchat-nodb-'));
    try {
      const error = await startDocuChat({
        DATA_DIR: dir,
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: `postgres://docuchat:hunter2-db-password@127.0.0.1:${port}/docuchat`,
      }).then(
        (running) => running.close().then(() => undefined),
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error!.message).toContain(`127.0.0.1:${port}`);
      expect(error!.message).not.toContain('hunter2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('npm start exits 1 with one readable line', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'docuchat-nodb-'));
    try {
      const failure = await run('npx', ['tsx', 'app/server/main.ts'], {
        env: {
          ...process.env,
          DATA_DIR: dir,
          PORT: '0',
          DATABASE_URL: `postgres://docuchat:hunter2-db-password@127.0.0.1:${port}/docuchat`,
        },
        timeout: 60_000,
      }).then(
        () => undefined,
        (error: { code: number; stderr: string; stdout: string }) => error,
      );
      expect(failure?.code).toBe(1);
      const lines = failure!.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^DocuChat failed to start: .*database.*127\.0\.0\.1:\d+/i);
      expect(failure!.stderr + failure!.stdout).not.toContain('hunter2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('database lost under a running server', () => {
  it('answers 503 JSON without a stack, reports health 503, and serves again once the database returns', async () => {
    const before = await rowCounts(server.db.pool);
    await proxy.cut();

    const health = await server.api('GET', '/api/v1/health');
    expect(health.status).toBe(503);
    expect(health.body.checks.database).toBe('down');
    expect((await server.api('GET', '/api/v1/health/live')).status).toBe(200);

    const requests: Array<[string, string, Parameters<TestServer['api']>[2]]> = [
      ['GET', '/api/v1/documents', { token: account.accessToken }],
      ['GET', '/api/v1/auth/me', { token: account.accessToken }],
      ['GET', '/api/v1/conversations', { token: account.accessToken }],
      [
        'POST',
        '/api/v1/chat',
        { token: account.accessToken, json: { message: 'When does the harbour open?' } },
      ],
      ['POST', '/api/v1/auth/login', { json: { email: account.email, password: account.password } }],
      ['POST', '/api/v1/auth/refresh', { json: { refresh_token: account.refreshToken } }],
      ['GET', '/api/v1/billing/invoices', { token: account.accessToken }],
    ];
    for (const [method, route, options] of requests) {
      const res = await server.api(method, route, options);
      expectJsonError(res, `${method} ${route}`);
      expect(res.status, `${method} ${route}`).toBe(503);
      expect(res.body.error).toBe('service_unavailable');
      expect(Number(res.headers.get('retry-after')), `${method} ${route}`).toBeGreaterThan(0);
    }
    const upload = await server.upload(
      account.accessToken,
      'late.md',
      '# Late\n\nArrived during the outage.',
    );
    expectJsonError(upload, 'upload');
    expect(upload.status).toBe(503);

    await proxy.restore();
    // The pool reconnects by itself; readiness comes back without a restart.
    let ready = 0;
    for (let i = 0; i < 50 && ready !== 200; i++) {
      ready = (await server.api('GET', '/api/v1/health')).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBe(200);
    const docs = await server.api('GET', '/api/v1/documents', { token: account.accessToken });
    expect(docs.status).toBe(200);
    expect(docs.body.documents.map((d: { name: string }) => d.name)).toEqual(['notes.md']);
    // Nothing was half-written during the outage.
    expect(await rowCounts(server.db.pool)).toEqual(before);
    const chat = await server.chat(account.accessToken, 'When does the harbour open?');
    expect(chat.at(-1)!.event).toBe('done');
  });
});

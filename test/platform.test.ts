import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../app/config/index.js';
import { withTenant } from '../app/db/index.js';
import { allMetricNames, metrics } from '../app/telemetry/metrics.js';
import { startTestServer, type TestServer } from './support/server.js';

const run = promisify(execFile);

describe('row-level security', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it("hides another tenant's rows from a query that forgets its tenant filter", async () => {
    const a = await server.signUp();
    const b = await server.signUp();
    // Deliberately unfiltered: only row-level security stands between tenant A and tenant B here.
    const seen = await withTenant(server.db.pool, a.tenantId, async (client) => ({
      users: (await client.query('SELECT tenant_id FROM users')).rows,
      tenants: (await client.query('SELECT id FROM tenants')).rows,
      tokens: (await client.query('SELECT tenant_id FROM refresh_tokens')).rows,
    }));
    expect(seen.users.length).toBeGreaterThan(0);
    expect(new Set(seen.users.map((r) => r.tenant_id))).toEqual(new Set([a.tenantId]));
    expect(seen.tenants).toEqual([{ id: a.tenantId }]);
    expect(seen.tokens.every((r) => r.tenant_id === a.tenantId)).toBe(true);

    // Writing into another tenant is refused, not silently done.
    await expect(
      withTenant(server.db.pool, a.tenantId, (client) =>
        client.query('UPDATE tenants SET name = $1 WHERE id = $2 RETURNING id', ['hijacked', b.tenantId]),
      ).then((r) => r.rowCount),
    ).resolves.toBe(0);
    await expect(
      withTenant(server.db.pool, a.tenantId, (client) =>
        client.query(
          `INSERT INTO users (tenant_id, email, password_hash, full_name) VALUES ($1, 'x@example.com', 'h', 'X')`,
          [b.tenantId],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('runs request transactions as a role that is neither owner nor superuser', async () => {
    const a = await server.signUp();
    const role = await withTenant(server.db.pool, a.tenantId, async (client) => {
      const { rows } = await client.query(
        `SELECT current_user AS name, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user`,
      );
      return rows[0];
    });
    expect(role).toEqual({ name: 'docuchat_app', rolsuper: false, rolbypassrls: false });
  });
});

describe('metrics and health', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('exposes every catalog metric in Prometheus format after one request', async () => {
    await server.api('GET', '/api/v1/health');
    const res = await server.api('GET', '/api/v1/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    for (const name of allMetricNames) expect(res.text, name).toContain(`# TYPE ${name} `);
    expect(res.text).toMatch(
      new RegExp(
        `${metrics.httpRequestDurationSeconds.name}_count\\{method="GET",endpoint="/api/v1/health",status="200"\\} \\d+`,
      ),
    );
  });

  it('labels unknown URLs with one bounded value and parameterised routes by their pattern', async () => {
    for (let i = 0; i < 20; i++) await server.api('GET', `/api/v1/no-such-thing/${i}?x=${i}`);
    const text = (await server.api('GET', '/api/v1/metrics')).text;
    expect(text).not.toContain('no-such-thing');
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",endpoint="unmatched",status="404"\} 20/,
    );
  });

  it('serves the OpenAPI description generated from the route schemas', async () => {
    const res = await server.api('GET', '/api/docs/json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/auth/register', '/api/v1/auth/login', '/api/v1/health']),
    );
  });

  it('reports ready, then 503 naming the database once the database is gone; liveness stays 200', async () => {
    const ok = await server.api('GET', '/api/v1/health');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'ok', checks: { database: 'ok', cache: 'ok', llm: 'ok' } });
    await server.db.close();
    const down = await server.api('GET', '/api/v1/health');
    expect(down.status).toBe(503);
    expect(down.body.checks.database).toBe('down');
    expect(down.body.message).toContain('database');
    expect((await server.api('GET', '/api/v1/health/live')).status).toBe(200);
  });
});

describe('persistence', () => {
  it('keeps accounts across a restart on the same data directory', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-restart-'));
    const first = await startTestServer({ JWT_SECRET: '', DATABASE_URL: '' }, dataDir);
    const account = await first.signUp();
    await first.stop();
    const second = await startTestServer({ JWT_SECRET: '', DATABASE_URL: '' }, dataDir);
    try {
      const login = await second.api('POST', '/api/v1/auth/login', {
        form: { username: account.email, password: account.password },
      });
      expect(login.status).toBe(200);
      // The generated secret was kept, so the token issued before the restart is still valid.
      expect((await second.api('GET', '/api/v1/auth/me', { token: account.accessToken })).status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});

describe('configuration', () => {
  it('names the variable and the expected form of an invalid value', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(
      new ConfigError('Invalid configuration: PORT must be an integer between 0 and 65535 (got "eighty")'),
    );
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '-3' })).toThrow(
      /DATABASE_POOL_SIZE must be an integer between 1/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL must be a URL starting with postgres:\/\//,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u@h/db' })).toThrow(
      'Invalid configuration: JWT_SECRET is required when NODE_ENV=production',
    );
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) })).toThrow(
      /DATABASE_URL is required/,
    );
  });

  it('chooses the embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8000,
      llmProvider: 'local',
      CHAT_MODELS: ['gpt-4o', 'gpt-4o-mini'],
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(loadConfig({ ZIBAL_API_KEY: 'zibal' }).ZIBAL_MERCHANT).toBe('zibal');
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test' }).llmProvider).toBe('openai');
  });

  it('exits non-zero with one readable line on a configuration error', async () => {
    const failure = await run('npx', ['tsx', 'app/server/main.ts'], {
      env: { ...process.env, PORT: 'abc', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'docuchat-cfg-')) },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr.trim()).toBe(
      'Invalid configuration: PORT must be an integer between 0 and 65535 (got "abc")',
    );
  });
});

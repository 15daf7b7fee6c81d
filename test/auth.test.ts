import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_JWT_SECRET, type TestServer, uniqueEmail } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ LOGIN_RATE_LIMIT_PER_MINUTE: '5' });
});
afterAll(() => server?.stop());

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function signToken(header: object, payload: object, secret = TEST_JWT_SECRET) {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('accounts', () => {
  it('register, log in with the seed form and with JSON, read me, refresh and log out', async () => {
    const email = uniqueEmail('seed');
    const reg = await server.api('POST', '/api/v1/auth/register', {
      json: { email, password: 'password123', full_name: 'Test User' },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toMatchObject({ email, full_name: 'Test User', role: 'owner' });
    expect(reg.body.tenant.slug).toMatch(/^[a-z0-9-]+$/);

    const form = await server.api('POST', '/api/v1/auth/login', {
      form: { username: email, password: 'password123' },
    });
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({ token_type: 'bearer', expires_in: 900 });
    expect(form.body.access_token).toEqual(expect.any(String));

    const json = await server.api('POST', '/api/v1/auth/login', {
      json: { email: email.toUpperCase(), password: 'password123' },
    });
    expect(json.status).toBe(200);

    const me = await server.api('GET', '/api/v1/auth/me', { token: json.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email, role: 'owner', tenant: { id: reg.body.tenant.id } });

    const refreshed = await server.api('POST', '/api/v1/auth/refresh', {
      json: { refresh_token: json.body.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(json.body.refresh_token);
    expect((await server.api('GET', '/api/v1/auth/me', { token: refreshed.body.access_token })).status).toBe(
      200,
    );

    const logout = await server.api('POST', '/api/v1/auth/logout', {
      json: { refresh_token: refreshed.body.refresh_token },
    });
    expect(logout.status).toBe(204);
    const afterLogout = await server.api('POST', '/api/v1/auth/refresh', {
      json: { refresh_token: refreshed.body.refresh_token },
    });
    expect(afterLogout.status).toBe(401);
    // The form login's session is separate and still works.
    expect(
      (await server.api('POST', '/api/v1/auth/refresh', { json: { refresh_token: form.body.refresh_token } }))
        .status,
    ).toBe(200);
  });

  it('reusing a rotated refresh token revokes every token of that login', async () => {
    const account = await server.signUp();
    const first = await server.api('POST', '/api/v1/auth/refresh', {
      json: { refresh_token: account.refreshToken },
    });
    expect(first.status).toBe(200);
    const replay = await server.api('POST', '/api/v1/auth/refresh', {
      json: { refresh_token: account.refreshToken },
    });
    expect(replay.status).toBe(401);
    // The legitimate newer token is revoked too: the thief and the victim both have to sign in again.
    const newer = await server.api('POST', '/api/v1/auth/refresh', {
      json: { refresh_token: first.body.refresh_token },
    });
    expect(newer.status).toBe(401);
  });

  it('answers a wrong password and an unknown account with the same 401', async () => {
    const account = await server.signUp();
    const wrong = await server.api('POST', '/api/v1/auth/login', {
      json: { email: account.email, password: 'not the password' },
    });
    const unknown = await server.api('POST', '/api/v1/auth/login', {
      json: { email: uniqueEmail('ghost'), password: 'whatever123' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body).toEqual({ error: 'unauthorized', message: 'Incorrect e-mail or password' });
  });

  it('refuses a second account with the same e-mail', async () => {
    const account = await server.signUp();
    const again = await server.api('POST', '/api/v1/auth/register', {
      json: { email: account.email, password: 'another password', full_name: 'Copy' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('conflict');
  });

  it('names the field of a weak password, a missing field and a malformed body', async () => {
    const weak = await server.api('POST', '/api/v1/auth/register', {
      json: { email: uniqueEmail(), password: 'short', full_name: 'X' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.message).toContain('password');

    const missing = await server.api('POST', '/api/v1/auth/register', {
      json: { email: uniqueEmail(), password: 'long enough pw' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('full_name');

    const malformed = await server.api('POST', '/api/v1/auth/register', {
      body: '{"email": "a@b.c", ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ error: 'bad_request', message: 'Malformed JSON body' });

    const badEmail = await server.api('POST', '/api/v1/auth/register', {
      json: { email: 'not-an-email', password: 'long enough pw', full_name: 'X' },
    });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.message).toContain('email');
  });

  it('refuses expired, tampered, alg-none and other-secret tokens, and tokens of deleted users', async () => {
    const account = await server.signUp();
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'HS256', typ: 'JWT' };
    const claims = { sub: account.userId, tid: account.tenantId };
    const cases = {
      expired: signToken(header, { ...claims, iat: now - 3600, exp: now - 60 }),
      tampered: `${account.accessToken.slice(0, -4)}AAAA`,
      algNone: `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...claims, iat: now, exp: now + 600 })}.`,
      otherSecret: signToken(
        header,
        { ...claims, iat: now, exp: now + 600 },
        'some-other-secret-some-other-secret',
      ),
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await server.api('GET', '/api/v1/auth/me', { token });
      expect(res.status, name).toBe(401);
      expect(res.body.error, name).toBe('unauthorized');
    }
    const valid = signToken(header, { ...claims, iat: now, exp: now + 600 });
    expect((await server.api('GET', '/api/v1/auth/me', { token: valid })).status).toBe(200);

    await server.db.pool.query('DELETE FROM users WHERE id = $1', [account.userId]);
    expect((await server.api('GET', '/api/v1/auth/me', { token: valid })).status).toBe(401);
    expect((await server.api('GET', '/api/v1/auth/me')).status).toBe(401);
  });

  it('rate-limits login attempts per account with 429 and Retry-After', async () => {
    const account = await server.signUp();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const res = await server.api('POST', '/api/v1/auth/login', {
        json: { email: account.email, password: 'wrong password!' },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(res.body.error).toBe('rate_limited');
      }
    }
    // signUp logged in once: the limit of 5 per minute leaves 4 wrong attempts before the wall.
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.slice(4)).toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Even the right password waits: the limit is per account, not per failure.
    expect(
      (
        await server.api('POST', '/api/v1/auth/login', {
          json: { email: account.email, password: account.password },
        })
      ).status,
    ).toBe(429);
  });

  it('sends security headers and a request id, and keeps passwords and tokens out of the logs', async () => {
    const account = await server.signUp({ password: 'a-very-distinctive-password' });
    const res = await server.api('GET', '/api/v1/auth/me', { token: account.accessToken });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const logs = server.logs.join('\n');
    expect(logs).not.toContain('a-very-distinctive-password');
    expect(logs).not.toContain(account.accessToken);
    expect(logs).not.toContain(account.refreshToken);
    expect(logs.toLowerCase()).not.toContain('bearer ');
    expect(logs).toContain(account.tenantId);
  });
});

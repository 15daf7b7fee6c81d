import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  startTestServer,
  TEST_JWT_SECRET,
  type TestServer,
  uniqueEmail,
} from '../support/server.js';
import { expectJsonError, expectLogsClean } from './support.js';

/** Routes anyone may call; every other route of the OpenAPI description must demand a token. */
const PUBLIC_ROUTES = new Set([
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/logout',
  'GET /api/v1/health',
  'GET /api/v1/health/live',
  'GET /api/v1/metrics',
  // The server's limits (upload size, text lengths), for the sign-up page too.
  'GET /api/v1/limits',
  // Zibal redirects the customer's browser here; the payment is verified with Zibal, not trusted.
  'GET /api/v1/billing/callback',
]);

const LIMIT_PER_ACCOUNT = 5;
const SECRET_SENTENCE = 'The vault combination is 7-3-1-9, known only to Alice Corp';

let server: TestServer;
let alice: Account;
let mallory: Account;
let routes: Array<{ method: string; path: string }>;
const secrets = new Set<string>();
const ids: Record<'document' | 'conversation' | 'message' | 'chunk', string> = {
  document: '',
  conversation: '',
  message: '',
  chunk: '',
};
/** A valid body or query for the routes that need one, so what refuses a request is its tenant, not its shape. */
const BODIES: Record<string, unknown> = {
  'PATCH /api/v1/conversations/{id}': { title: 'Renamed by Mallory' },
  'POST /api/v1/messages/{id}/feedback': { rating: 'down' },
  'POST /api/v1/messages/{id}/versions': { message: 'vault combination?', stream: false },
};
const QUERIES: Record<string, string> = { '/api/v1/conversations/search': '?q=vault' };

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
function signToken(header: object, payload: object, secret = TEST_JWT_SECRET, hash = 'sha256') {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  return `${unsigned}.${createHmac(hash, secret).update(unsigned).digest('base64url')}`;
}

/** The OpenAPI path with its `{id}` (and `{chunkId}`, `{number}`) filled with a resource of the kind it names. */
function concrete(path: string, id = (kind: keyof typeof ids) => ids[kind]): string {
  if (!path.includes('{id}')) return path;
  const kind = path.startsWith('/api/v1/documents/')
    ? 'document'
    : path.startsWith('/api/v1/messages/')
      ? 'message'
      : 'conversation';
  return path.replace('{id}', id(kind)).replace('{chunkId}', id('chunk')).replace('{number}', '1');
}

const remember = (account: Account) => {
  for (const s of [account.password, account.accessToken, account.refreshToken]) secrets.add(s);
  return account;
};

beforeAll(async () => {
  server = await startTestServer({ LOGIN_RATE_LIMIT_PER_MINUTE: String(LIMIT_PER_ACCOUNT) });
  alice = remember(await server.signUp({ tenant_name: 'Alice Corp', password: 'alice-secret-password' }));
  mallory = remember(await server.signUp({ tenant_name: 'Mallory Ltd', password: 'mallory-password-9' }));
  const spec = await server.api('GET', '/api/docs/json');
  routes = Object.entries<Record<string, unknown>>(spec.body.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path: path.replace(/\/$/, '') })),
  );

  secrets.add(SECRET_SENTENCE);
  const up = await server.upload(alice.accessToken, 'vault.md', `# Vault\n\n${SECRET_SENTENCE}.`);
  expect(up.status).toBe(202);
  ids.document = up.body.document.id;
  expect((await server.waitForDocument(alice.accessToken, ids.document)).status).toBe('ready');
  const chat = await server.chat(alice.accessToken, 'What is the vault combination?');
  ids.conversation = chat.at(-1)!.data.conversation_id;
  ids.message = chat.at(-1)!.data.message_id;
  ids.chunk = chat[0]!.data.sources[0].chunk_id;
  // Usage and an invoice of Alice's team, as the chat route and the billing job write them.
  await server.db.pool.query(
    `INSERT INTO usage_ledger (tenant_id, user_id, request_id, attempt, model, input_tokens, output_tokens)
     VALUES ($1, $2, $3, 1, 'gpt-4o', 4242, 1717)`,
    [alice.tenantId, alice.userId, `sec-${randomUUID()}`],
  );
  await server.db.pool.query(
    `INSERT INTO tenant_invoice (tenant_id, period_start, period_end, period_from, period_to, source, tokens,
       price_per_1k_tomans, discount_percent, usage_amount, amount, amount_rials, order_id, payment_url, status)
     VALUES ($1, '2025-10-05', '2025-10-05', '2025-10-04T20:30Z', '2025-10-05T20:30Z', 'ledger', 5959,
       20, 0, 119.18, 119.18, 1192, $2, 'https://gateway.zibal.ir/start/987654321', 'link_created')`,
    [alice.tenantId, `alice-corp-${randomUUID()}`],
  );
});
afterAll(async () => {
  if (server) expectLogsClean(server.logs, secrets);
  await server?.stop();
});

/** Every text of Alice's that must not reach Mallory. */
const aliceMarkers = () => [
  ids.document,
  ids.conversation,
  'vault',
  '7-3-1-9',
  'Alice Corp',
  alice.email,
  '4242',
  '5959',
  '987654321',
];

describe('tenant isolation on every route', () => {
  it('the OpenAPI description lists the routes this suite probes, and every non-public one demands a token', async () => {
    expect(routes.length).toBeGreaterThanOrEqual(20);
    for (const { method, path } of routes) {
      if (PUBLIC_ROUTES.has(`${method} ${path}`)) continue;
      const res = await server.api(method, concrete(path), method === 'POST' ? { json: {} } : {});
      expect(res.status, `${method} ${path} without a token`).toBe(401);
      expectJsonError(res, `${method} ${path}`);
    }
  });

  it("a second tenant's valid token gets 404 for the first tenant's ids, with the body a random id gets", async () => {
    const idRoutes = routes.filter((r) => r.path.includes('{id}'));
    expect(idRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'DELETE /api/v1/conversations/{id}',
      'DELETE /api/v1/documents/{id}',
      'DELETE /api/v1/messages/{id}/feedback',
      'GET /api/v1/conversations/{id}',
      'GET /api/v1/documents/{id}',
      'GET /api/v1/documents/{id}/chunks/{chunkId}',
      'GET /api/v1/documents/{id}/events',
      'GET /api/v1/documents/{id}/pages/{number}',
      'PATCH /api/v1/conversations/{id}',
      'POST /api/v1/messages/{id}/feedback',
      'POST /api/v1/messages/{id}/versions',
    ]);
    for (const { method, path } of idRoutes) {
      const body = BODIES[`${method} ${path}`];
      const theirs = await server.api(method, concrete(path), { token: mallory.accessToken, json: body });
      expect(theirs.status, `${method} ${path}`).toBe(404);
      expectJsonError(theirs, `${method} ${path}`);
      for (const marker of aliceMarkers()) expect(theirs.text).not.toContain(marker);
      const nobody = await server.api(
        method,
        concrete(path, () => randomUUID()),
        { token: mallory.accessToken, json: body },
      );
      // No oracle: "exists elsewhere" and "does not exist" are the same answer.
      expect(nobody.status).toBe(404);
      expect(theirs.body).toEqual(nobody.body);
    }
    const continued = await server.api('POST', '/api/v1/chat', {
      token: mallory.accessToken,
      json: { message: 'What is the vault combination?', conversation_id: ids.conversation },
    });
    expect(continued.status).toBe(404);
    expect(continued.text).not.toContain('7-3-1-9');
    // Mallory's DELETEs removed nothing.
    expect(
      (await server.api('GET', `/api/v1/documents/${ids.document}`, { token: alice.accessToken })).status,
    ).toBe(200);
    expect(
      (await server.api('GET', `/api/v1/conversations/${ids.conversation}`, { token: alice.accessToken }))
        .status,
    ).toBe(200);
  });

  it("list routes show the second tenant none of the first tenant's data", async () => {
    const listRoutes = routes.filter(
      (r) => r.method === 'GET' && !r.path.includes('{id}') && !PUBLIC_ROUTES.has(`GET ${r.path}`),
    );
    expect(listRoutes.map((r) => r.path).sort()).toEqual([
      '/api/v1/auth/me',
      '/api/v1/billing/invoices',
      '/api/v1/billing/usage',
      '/api/v1/conversations',
      '/api/v1/conversations/search',
      '/api/v1/documents',
      '/api/v1/feedback',
    ]);
    for (const { path } of listRoutes) {
      const own = await server.api('GET', path + (QUERIES[path] ?? ''), { token: alice.accessToken });
      const other = await server.api('GET', path + (QUERIES[path] ?? ''), { token: mallory.accessToken });
      expect(own.status, path).toBe(200);
      expect(other.status, path).toBe(200);
      for (const marker of aliceMarkers())
        expect(other.text, `${path} leaks ${marker}`).not.toContain(marker);
    }
    // Alice sees her own, so the probe above could have seen it.
    const aliceInvoices = await server.api('GET', '/api/v1/billing/invoices', { token: alice.accessToken });
    expect(aliceInvoices.body.invoices).toHaveLength(1);
    const aliceDocs = await server.api('GET', '/api/v1/documents', { token: alice.accessToken });
    expect(aliceDocs.text).toContain(ids.document);
    // Retrieval never crosses tenants: Mallory's question finds no source.
    const probe = await server.chat(mallory.accessToken, 'vault combination 7-3-1-9 Alice Corp');
    expect(probe[0]!.data.sources).toEqual([]);
    expect(JSON.stringify(probe)).not.toContain(SECRET_SENTENCE);
  });

  it('sequential, neighbouring and malformed ids reveal nothing', async () => {
    const neighbour = (id: string) =>
      id.slice(0, -1) + ((Number.parseInt(id.at(-1)!, 16) + 1) % 16).toString(16);
    const guesses = [
      neighbour(ids.document),
      neighbour(ids.conversation),
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      '1',
      '2',
      '0',
      '-1',
      '..%2F..%2Fetc%2Fpasswd',
      "1' OR '1'='1",
    ];
    for (const guess of guesses) {
      for (const base of ['/api/v1/documents/', '/api/v1/conversations/']) {
        const res = await server.api('GET', `${base}${encodeURIComponent(guess)}`, {
          token: mallory.accessToken,
        });
        expect([400, 404], `${base}${guess}`).toContain(res.status);
        expectJsonError(res, `${base}${guess}`);
        for (const marker of aliceMarkers()) expect(res.text).not.toContain(marker);
      }
    }
  });
});

describe('tokens', () => {
  it('alg none, a wrong signature, another algorithm, an expired token and a deleted user are refused everywhere', async () => {
    const doomed = remember(await server.signUp());
    const now = Math.floor(Date.now() / 1000);
    const claims = (a: Account) => ({ sub: a.userId, tid: a.tenantId, iat: now, exp: now + 600 });
    const valid = signToken({ alg: 'HS256', typ: 'JWT' }, claims(alice));
    const cases: Record<string, string> = {
      'alg none': `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims(alice))}.`,
      'alg none, upper case': `${b64url({ alg: 'NONE', typ: 'JWT' })}.${b64url(claims(alice))}.`,
      'wrong signature': `${valid.slice(0, valid.lastIndexOf('.'))}.${createHmac('sha256', 'x').update('y').digest('base64url')}`,
      'signed with another secret': signToken(
        { alg: 'HS256', typ: 'JWT' },
        claims(alice),
        'another-secret-another-secret-42',
      ),
      'HS512 with the right secret': signToken(
        { alg: 'HS512', typ: 'JWT' },
        claims(alice),
        TEST_JWT_SECRET,
        'sha512',
      ),
      expired: signToken(
        { alg: 'HS256', typ: 'JWT' },
        { ...claims(alice), iat: now - 7200, exp: now - 3600 },
      ),
      'claims of another tenant, signature of the original': `${valid.split('.')[0]}.${b64url(claims(mallory))}.${valid.split('.')[2]}`,
      'deleted user': doomed.accessToken,
      garbage: 'not.a.jwt',
    };
    expect((await server.api('GET', '/api/v1/auth/me', { token: valid })).status).toBe(200);
    await server.db.pool.query('DELETE FROM users WHERE id = $1', [doomed.userId]);
    for (const { method, path } of routes) {
      if (PUBLIC_ROUTES.has(`${method} ${path}`)) continue;
      for (const [name, token] of Object.entries(cases)) {
        const res = await server.api(method, concrete(path), {
          token,
          ...(method === 'POST' ? { json: {} } : {}),
        });
        expect(res.status, `${name} on ${method} ${path}`).toBe(401);
        expect(res.body.error).toBe('unauthorized');
      }
    }
    // The refresh token of the deleted user is dead too.
    const refresh = await server.api('POST', '/api/v1/auth/refresh', {
      json: { refresh_token: doomed.refreshToken },
    });
    expect(refresh.status).toBe(401);
  });
});

describe('headers', () => {
  it('JSON answers, errors and event streams carry the security headers, and no CORS grant is made', async () => {
    const check = (headers: Headers, what: string) => {
      expect(headers.get('x-content-type-options'), what).toBe('nosniff');
      expect(headers.get('content-security-policy'), what).toContain("default-src 'self'");
      expect(headers.get('content-security-policy'), what).toContain("frame-ancestors 'none'");
      expect(headers.get('x-frame-options'), what).toBe('SAMEORIGIN');
      expect(headers.get('referrer-policy'), what).toBe('no-referrer');
      expect(headers.get('strict-transport-security'), what).toContain('max-age=');
      expect(headers.get('x-powered-by'), what).toBeNull();
      expect(headers.get('access-control-allow-origin'), what).toBeNull();
      expect(headers.get('x-request-id'), what).toBeTruthy();
    };
    const origin = { origin: 'https://evil.example' };
    check(
      (await server.api('GET', '/api/v1/auth/me', { token: alice.accessToken, headers: origin })).headers,
      'me',
    );
    check((await server.api('GET', '/api/v1/nope', { headers: origin })).headers, '404');
    check((await server.api('GET', '/api/v1/documents', { headers: origin })).headers, '401');
    const stream = await fetch(`${server.url}/api/v1/documents/${ids.document}/events`, {
      headers: { authorization: `Bearer ${alice.accessToken}`, ...origin },
    });
    check(stream.headers, 'event stream');
    await stream.text();
    // A caller's request id is kept only when it is plain: no header injection through it.
    const injected = await server.api('GET', '/api/v1/health/live', {
      headers: { 'x-request-id': 'abc<script>alert(1)</script>' },
    });
    expect(injected.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const plain = await server.api('GET', '/api/v1/health/live', {
      headers: { 'x-request-id': 'trace-42.a_b' },
    });
    expect(plain.headers.get('x-request-id')).toBe('trace-42.a_b');
  });
});

describe('login brute force', () => {
  it('walls off one account after a few attempts, whatever the password', async () => {
    const target = remember(await server.signUp());
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT_PER_ACCOUNT + 2; i++) {
      const res = await server.api('POST', '/api/v1/auth/login', {
        json: { email: target.email, password: `guess-number-${i}` },
      });
      statuses.push(res.status);
    }
    // signUp logged in once.
    expect(statuses).toEqual([
      ...Array(LIMIT_PER_ACCOUNT - 1).fill(401),
      ...Array(statuses.length - LIMIT_PER_ACCOUNT + 1).fill(429),
    ]);
    const right = await server.api('POST', '/api/v1/auth/login', {
      json: { email: target.email, password: target.password },
    });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('walls off one address spraying many accounts', async () => {
    let firstRefused = -1;
    const attempts = LIMIT_PER_ACCOUNT * 10 + 5;
    for (let i = 0; i < attempts && firstRefused < 0; i++) {
      const res = await server.api('POST', '/api/v1/auth/login', {
        form: { username: uniqueEmail('spray'), password: 'Winter2025!' },
      });
      if (res.status === 429) firstRefused = i;
      else expect(res.status).toBe(401);
    }
    // Some of the address's budget went to the sign-ups and logins above; the wall comes within it.
    expect(firstRefused).toBeGreaterThanOrEqual(0);
    expect(firstRefused).toBeLessThan(LIMIT_PER_ACCOUNT * 10);
    const alicesTurn = await server.api('POST', '/api/v1/auth/login', {
      json: { email: alice.email, password: alice.password },
    });
    expect(alicesTurn.status).toBe(429);
  });
});

import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, startTestServer, type TestServer } from '../support/server.js';
import { expectLogsClean, type RowCounts, rowCounts } from './support.js';

/**
 * Property-based fuzzing of every route in the OpenAPI description: whatever arrives in the body, the query
 * string, the headers or the path, the answer is never a 5xx, an error is always JSON `{ error, message }`, and a
 * refused request writes no row.
 */

const RUNS = { body: 30, query: 20, headers: 20, path: 15 };

/** The parts of an OpenAPI operation the fuzzer reads. */
interface OpenApiOperation {
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
  parameters?: Array<{ in: string; name: string }>;
}

interface Route {
  method: string;
  path: string;
  bodyKeys: string[];
  queryKeys: string[];
}

let server: TestServer;
let account: Account;
let routes: Route[];
let documentId: string;
let conversationId: string;
const secrets = new Set<string>();
const seen = { requests: 0, byStatus: new Map<number, number>() };

beforeAll(async () => {
  server = await startTestServer();
  account = await server.signUp({ password: 'fuzz-account-password' });
  for (const s of [account.password, account.accessToken, account.refreshToken]) secrets.add(s);
  const up = await server.upload(
    account.accessToken,
    'fuzz.md',
    '# Fuzz\n\nThe lighthouse keeper counts gulls.',
  );
  secrets.add('The lighthouse keeper counts gulls');
  documentId = up.body.document.id;
  await server.waitForDocument(account.accessToken, documentId);
  conversationId = (await server.chat(account.accessToken, 'Who counts gulls?')).at(-1)!.data.conversation_id;

  const spec = (await server.api('GET', '/api/docs/json')).body;
  routes = Object.entries<Record<string, OpenApiOperation>>(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      bodyKeys: Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {}),
      queryKeys: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    })),
  );
});
afterAll(async () => {
  if (server) expectLogsClean(server.logs, secrets);
  await server?.stop();
});

/** A concrete URL: real ids for reads (so the handler runs), a random id for deletes (so nothing is lost). */
function urlOf(route: Route, id?: string): string {
  const real = route.path.startsWith('/api/v1/documents') ? documentId : conversationId;
  const value = id ?? (route.method === 'DELETE' ? '6f0e9c1e-0000-4000-8000-000000000000' : real);
  return route.path.replace('{id}', encode(value));
}

interface RawResponse {
  status: number;
  text: string;
  contentType: string;
}

/** node:http rather than fetch: it lets a test send headers fetch forbids (content-length, encodings, ...). */
function send(method: string, url: string, headers: Record<string, string>, body?: string | Buffer) {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = http.request(`${server.url}${url}`, { method, headers, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          contentType: String(res.headers['content-type'] ?? ''),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in 20 s`)));
    // The server may answer (413, 400) before reading a whole body and close; that is an answer, not an error.
    req.on('error', reject);
    req.end(body);
  });
}

/** The invariant every fuzzed request must keep. */
async function expectGraceful(what: string, res: RawResponse, before: RowCounts) {
  seen.requests++;
  seen.byStatus.set(res.status, (seen.byStatus.get(res.status) ?? 0) + 1);
  expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 300)}`).toBeLessThan(500);
  expect(res.status, what).toBeGreaterThanOrEqual(200);
  if (res.status >= 400) {
    expect(res.contentType, `${what}: ${res.text.slice(0, 200)}`).toMatch(/^application\/json/);
    const body = JSON.parse(res.text);
    expect(typeof body.error, `${what}: ${res.text.slice(0, 200)}`).toBe('string');
    expect(typeof body.message, `${what}: ${res.text.slice(0, 200)}`).toBe('string');
    expect(res.text, what).not.toMatch(/\n\s+at .+:\d+/);
    expect(await rowCounts(server.db.pool), `${what} was refused but wrote rows`).toEqual(before);
  }
}

/** Strings made of the characters that break naive handling: NUL, bidi overrides, lone surrogates, ZWNJ, ... */
const tricky = fc
  .array(
    fc.constantFrom('a', ' ', '\u0000', '\u202e', '\ud800', '\u200c', 'ی', '\n', '%00', '\\', '"', '\t'),
    {
      minLength: 1,
      maxLength: 8,
    },
  )
  .map((parts) => parts.join(''));
const text = fc.oneof(
  tricky,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'null',
    '../../etc/passwd',
    "' OR 1=1 --",
    '<script>x</script>',
    '🙂',
    'ی‌ک',
  ),
  fc.emailAddress(),
  fc.uuid(),
  fc.string({ minLength: 300, maxLength: 9000 }),
);
const value = fc.oneof(
  text,
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const dayLike = fc
  .tuple(fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
  .map(
    ([y, m, d]) =>
      `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
  );

/** A body shaped like the route's schema (its field names with arbitrary values, plus strangers), or anything. */
const bodyFor = (route: Route) =>
  fc.oneof(
    fc.dictionary(fc.constantFrom(...(route.bodyKeys.length ? route.bodyKeys : ['x'])), value, {
      maxKeys: 4,
    }),
    fc.record(Object.fromEntries(route.bodyKeys.map((k) => [k, value]))),
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(fc.string({ maxLength: 10 }), value, { maxKeys: 3 }),
  );

const queryFor = (route: Route) =>
  fc.dictionary(
    fc.oneof(
      fc.constantFrom(...route.queryKeys, 'from', 'to', 'limit', '__proto__', 'constructor'),
      fc.string({ maxLength: 8 }),
    ),
    fc.oneof(text, dayLike, fc.integer().map(String)),
    { maxKeys: 4 },
  );

const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
const headerValue = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 60 }).filter((v) => HEADER_VALUE.test(v)),
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-16',
    'multipart/form-data; boundary=x',
    'multipart/form-data',
    'text/plain',
    'application/x-www-form-urlencoded',
    'gzip',
    'Bearer ',
    'Bearer a.b.c',
    'Basic YWxhZGRpbjpvcGVuc2VzYW1l',
    '-1',
    '99999999999999999999',
    'bytes=0-10',
  ),
);
const headersArb = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'content-type',
      'authorization',
      'x-request-id',
      'accept',
      'accept-encoding',
      'content-encoding',
      'origin',
      'x-forwarded-for',
      'cookie',
      'range',
      'if-none-match',
      'last-event-id',
    ),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
  ),
  headerValue,
  { maxKeys: 5 },
);

/** Percent-encodes every byte (lone surrogates become U+FFFD, where encodeURIComponent would throw). */
const encode = (value: string) =>
  [...Buffer.from(value, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');

const auth = () => ({ authorization: `Bearer ${account.accessToken}` });

describe('fuzzing every route', () => {
  it('the description lists the routes to fuzz', () => {
    expect(routes.length).toBeGreaterThanOrEqual(20);
  });

  it('JSON bodies: never a 5xx, errors are JSON, refused requests write nothing', async () => {
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(bodyFor(route), fc.boolean(), async (body, raw) => {
          const before = await rowCounts(server.db.pool);
          // Half the time the body is cut short, so it is not valid JSON at all.
          const payload = raw ? JSON.stringify(body).slice(0, -1) : JSON.stringify(body);
          const res = await send(
            route.method,
            urlOf(route),
            { ...auth(), 'content-type': 'application/json' },
            payload,
          );
          await expectGraceful(`${route.method} ${route.path} body ${payload.slice(0, 200)}`, res, before);
        }),
        {
          numRuns: RUNS.body,
          // Always tried: every field holding NUL, and every field only spaces, which PostgreSQL text and the
          // handlers must not see.
          examples: [
            [Object.fromEntries(route.bodyKeys.map((k) => [k, 'valid\u0000text'])), false],
            [Object.fromEntries(route.bodyKeys.map((k) => [k, '   '])), false],
          ],
        },
      );
    }
  });

  it('query strings: never a 5xx, errors are JSON, refused requests write nothing', async () => {
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(queryFor(route), async (query) => {
          const before = await rowCounts(server.db.pool);
          const qs = Object.entries(query)
            .map(([k, v]) => `${encode(k)}=${encode(v)}`)
            .join('&');
          const hasBody = route.method === 'POST';
          const res = await send(
            route.method,
            `${urlOf(route)}?${qs}`,
            { ...auth(), ...(hasBody ? { 'content-type': 'application/json' } : {}) },
            hasBody ? '{}' : undefined,
          );
          await expectGraceful(`${route.method} ${route.path}?${qs.slice(0, 200)}`, res, before);
        }),
        { numRuns: RUNS.query },
      );
    }
  });

  it('headers: never a 5xx, errors are JSON, refused requests write nothing', async () => {
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(headersArb, fc.boolean(), async (headers, withToken) => {
          const before = await rowCounts(server.db.pool);
          const hasBody = route.method === 'POST';
          const res = await send(
            route.method,
            urlOf(route),
            {
              ...(withToken ? auth() : {}),
              ...(hasBody ? { 'content-type': 'application/json' } : {}),
              ...headers,
            },
            hasBody ? JSON.stringify({ message: 'Who counts gulls?' }) : undefined,
          );
          await expectGraceful(
            `${route.method} ${route.path} headers ${JSON.stringify(headers)}`,
            res,
            before,
          );
        }),
        { numRuns: RUNS.headers },
      );
    }
  });

  it('path parameters: never a 5xx, errors are JSON, nothing written', async () => {
    for (const route of routes.filter((r) => r.path.includes('{id}'))) {
      await fc.assert(
        fc.asyncProperty(text, async (id) => {
          const before = await rowCounts(server.db.pool);
          const res = await send(route.method, urlOf(route, id), auth());
          await expectGraceful(
            `${route.method} ${route.path} id ${JSON.stringify(id).slice(0, 100)}`,
            res,
            before,
          );
        }),
        { numRuns: RUNS.path },
      );
    }
  });

  it('multipart uploads of arbitrary bytes and names: a 2xx or a JSON 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.constantFrom('application/octet-stream', 'application/pdf', 'text/plain', 'text/html', ''),
        async (bytes, name, type) => {
          const before = await rowCounts(server.db.pool);
          const res = await server.upload(account.accessToken, name, Buffer.from(bytes), type);
          await expectGraceful(
            `upload ${JSON.stringify(name)} (${bytes.length} bytes, ${type})`,
            { status: res.status, text: res.text, contentType: res.headers.get('content-type') ?? '' },
            before,
          );
          // An accepted file is ingested in the background: let it finish, so the next count is not racing it.
          if (res.status === 202) await server.waitForDocument(account.accessToken, res.body.document.id);
        },
      ),
      { numRuns: 30 },
    );
    // For the report: how the fuzzed requests were answered.
    console.info(
      `fuzz: ${seen.requests} requests over ${routes.length} routes; statuses ${JSON.stringify(Object.fromEntries([...seen.byStatus].sort()))}`,
    );
  });
});

describe('text that cannot be stored or means nothing', () => {
  it('a question or a name of only spaces is refused with 400, and nothing is written', async () => {
    const before = await rowCounts(server.db.pool);
    const chat = await server.api('POST', '/api/v1/chat', {
      token: account.accessToken,
      json: { message: ' \n\t ' },
    });
    expect(chat.status).toBe(400);
    expect(chat.body.message).toMatch(/body\/message/);
    const register = await server.api('POST', '/api/v1/auth/register', {
      json: { email: 'spaces@example.com', password: 'long enough password', full_name: '    ' },
    });
    expect(register.status).toBe(400);
    expect(register.body.message).toMatch(/body\/full_name/);
    expect(await rowCounts(server.db.pool)).toEqual(before);
  });

  it('NUL in any JSON field or query value is a 400 naming the field, never a 500', async () => {
    const before = await rowCounts(server.db.pool);
    const chat = await server.api('POST', '/api/v1/chat', {
      token: account.accessToken,
      json: { message: 'who\u0000counts gulls?' },
    });
    expect(chat.status).toBe(400);
    expect(chat.body).toEqual({
      error: 'validation_error',
      message: 'body/message: must not contain the NUL character (\\u0000)',
    });
    const login = await server.api('POST', '/api/v1/auth/login', {
      json: { email: `${account.email}\u0000`, password: account.password },
    });
    expect(login.status).toBe(400);
    const usage = await server.api('GET', '/api/v1/billing/usage?from=2025-01-01%00', {
      token: account.accessToken,
    });
    expect(usage.status).toBe(400);
    expect(await rowCounts(server.db.pool)).toEqual(before);
  });
});

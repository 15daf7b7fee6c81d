import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type RunningDocuChat, startDocuChat } from '../../app/server/start.js';
import { readSse, type SseEvent } from './sse.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

export interface TestServer extends RunningDocuChat {
  dataDir: string;
  /** Every log line the server wrote, for assertions and for the secret scan. */
  logs: string[];
  api(method: string, route: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Registers a fresh account (and team) and logs in; returns its tokens. */
  signUp(
    overrides?: Partial<{ email: string; password: string; full_name: string; tenant_name: string }>,
  ): Promise<Account>;
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Uploads a file as multipart field `file`. */
  upload(token: string, name: string, content: string | Buffer, type?: string): Promise<ApiResponse>;
  /** Polls a document until it is no longer `processing`; returns its final state. */
  waitForDocument(token: string, id: string): Promise<any>;
  /** Streams a chat turn and returns its events. */
  chat(token: string, message: string, conversationId?: string): Promise<SseEvent[]>;
}

export interface RequestOptions {
  json?: unknown;
  form?: Record<string, string>;
  body?: BodyInit;
  token?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface Account {
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  userId: string;
  tenantId: string;
  tenantSlug: string;
}

let counter = 0;
export const uniqueEmail = (prefix = 'user') =>
  `${prefix}-${process.pid}-${Date.now()}-${++counter}@example.com`;

/** About 30 chunks of distinct sentences about `topic`: enough for a document's chunks and vectors to span pages. */
export const shelvesOf = (topic: string) =>
  Array.from(
    { length: 600 },
    (_, i) => `Shelf ${i} holds the ${topic} of year ${1900 + i}, bound in cloth number ${i * 7}.`,
  ).join(' ');

/** Starts DocuChat on embedded defaults in a fresh data directory (one per test file: PGlite boots in seconds). */
export async function startTestServer(
  env: Record<string, string> = {},
  dataDir?: string,
): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'docuchat-test-'));
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const running = await startDocuChat(
    {
      DATA_DIR: dir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      JWT_SECRET: TEST_JWT_SECRET,
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      // CI runs the suite a second time against real PostgreSQL and Redis services.
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
      ...env,
    },
    { logStream },
  );

  const api: TestServer['api'] = async (method, route, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    let body: BodyInit | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await fetch(`${running.url}${route}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };

  const signUp: TestServer['signUp'] = async (overrides = {}) => {
    const email = overrides.email ?? uniqueEmail();
    const password = overrides.password ?? 'correct horse battery';
    const reg = await api('POST', '/api/v1/auth/register', {
      json: {
        email,
        password,
        full_name: overrides.full_name ?? 'Test User',
        tenant_name: overrides.tenant_name ?? `Team ${email}`,
      },
    });
    if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${reg.text}`);
    const login = await api('POST', '/api/v1/auth/login', { json: { email, password } });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
    return {
      email,
      password,
      accessToken: login.body.access_token,
      refreshToken: login.body.refresh_token,
      userId: reg.body.user.id,
      tenantId: reg.body.tenant.id,
      tenantSlug: reg.body.tenant.slug,
    };
  };

  const upload: TestServer['upload'] = (token, name, content, type = 'application/octet-stream') => {
    const form = new FormData();
    form.append(
      'file',
      new Blob([typeof content === 'string' ? content : new Uint8Array(content)], { type }),
      name,
    );
    return api('POST', '/api/v1/documents', { body: form, token });
  };

  const waitForDocument: TestServer['waitForDocument'] = async (token, id) => {
    for (let i = 0; i < 600; i++) {
      const res = await api('GET', `/api/v1/documents/${id}`, { token });
      if (res.status !== 200) throw new Error(`document ${id}: ${res.status} ${res.text}`);
      if (res.body.status !== 'processing') return res.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`document ${id} still processing after 60 s`);
  };

  const chat: TestServer['chat'] = async (token, message, conversationId) => {
    const response = await fetch(`${running.url}/api/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message, ...(conversationId ? { conversation_id: conversationId } : {}) }),
    });
    if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
      throw new Error(`chat did not stream: ${response.status} ${await response.text()}`);
    }
    return readSse(response);
  };

  return {
    ...running,
    dataDir: dir,
    logs,
    api,
    signUp,
    upload,
    waitForDocument,
    chat,
    async stop(options = {}) {
      await running.close();
      if (!options.keepData && !dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Shared parts of the reliability and security suite: a TCP proxy that can take a dependency away and bring it
 * back, row counts of every table (to prove a refused request wrote nothing), the JSON-error shape, and a scan
 * of captured logs for credentials and document text.
 */
import net from 'node:net';
import type pg from 'pg';
import { expect } from 'vitest';

/** Tables whose row counts must not move when a request is refused. */
export const COUNTED_TABLES = [
  'tenants',
  'users',
  'refresh_tokens',
  'documents',
  'chunks',
  'ingestion_jobs',
  'conversations',
  'messages',
  'usage_ledger',
  'tenant_invoice',
] as const;

export type RowCounts = Record<(typeof COUNTED_TABLES)[number], number>;

export async function rowCounts(pool: pg.Pool): Promise<RowCounts> {
  const { rows } = await pool.query<RowCounts>(
    `SELECT ${COUNTED_TABLES.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(', ')}`,
  );
  return rows[0]!;
}

/** A stack frame of our code or of node_modules, as a leaked stack trace would show it. */
const STACK_FRAME = /\n\s+at .+(\.ts|\.js|\.mjs):\d+/;

/** Asserts an error response: a 4xx/503 status and a JSON `{ error, message }` body with no stack trace. */
export function expectJsonError(res: { status: number; body: unknown; text: string }, what: string): void {
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).not.toBe(500);
  expect(res.body, `${what}: not a JSON error: ${res.text.slice(0, 300)}`).toMatchObject({
    error: expect.any(String),
    message: expect.any(String),
  });
  expect(res.text, what).not.toMatch(STACK_FRAME);
}

/**
 * A loopback TCP proxy in front of a real server. `cut()` drops every open connection and refuses new ones, as a
 * crashed or partitioned database does; `restore()` accepts connections again.
 */
export class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  restore(): Promise<void> {
    return this.start(this.port);
  }

  close(): Promise<void> {
    return this.cut();
  }
}

/** Patterns that must never appear in a log line whatever the test put in: a JWT, a bearer header value. */
const ALWAYS_FORBIDDEN: Array<[string, RegExp]> = [
  ['a JWT', /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./],
  ['a bearer credential', /bearer\s+[A-Za-z0-9._~+/-]{8,}/i],
  ['an unredacted authorization header', /"authorization"\s*:\s*"(?!\[redacted\])/i],
  ['an unredacted password field', /"password"\s*:\s*"(?!\[redacted\])/i],
];

/**
 * Asserts that no captured log line contains any of `secrets` (passwords, tokens, document sentences) or any
 * credential-looking value. Returns the number of lines scanned, for the report.
 */
export function expectLogsClean(logs: readonly string[], secrets: Iterable<string>): number {
  const text = logs.join('\n');
  for (const secret of secrets) {
    if (secret.length < 6) continue;
    const at = text.indexOf(secret);
    expect(at, `a secret leaked into the logs: ${text.slice(Math.max(0, at - 120), at + 40)}`).toBe(-1);
  }
  for (const [what, pattern] of ALWAYS_FORBIDDEN) {
    const match = pattern.exec(text);
    expect(match, `${what} in the logs: ${match?.[0]}`).toBeNull();
  }
  return logs.length;
}

/** `count` independent promises with at most `limit` running at once. */
export async function inBatches<T>(
  count: number,
  limit: number,
  run: (i: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await run(i);
    }
  });
  await Promise.all(workers);
  return results;
}

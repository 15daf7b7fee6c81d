import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { type Account, startTestServer, type TestServer } from '../support/server.js';
import { parseSse, type SseEvent } from '../support/sse.js';
import { expectLogsClean } from './support.js';

/**
 * 200 streaming chats at once against the fake upstream, paced so every stream is open at the same time. The
 * server runs in this process, so its heap is this heap: measured after a forced GC before and after.
 */

const STREAMS = 200;
const TENANTS = 4;
const WARM_UP = 20;
const STREAM_DEADLINE_MS = 90_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let fake: FakeOpenAI;
let server: TestServer;
let accounts: Account[];
const secrets = new Set<string>();

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // ~16 words per answer at 20 per second: each stream stays open for most of a second, so they overlap.
  fake.setBehavior('*', { tokensPerSecond: 20, latencyMs: 50 });
  server = await startTestServer({
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-load-not-a-real-key',
    LOG_LEVEL: 'warn',
  });
  accounts = [];
  for (let t = 0; t < TENANTS; t++) {
    const account = await server.signUp({ tenant_name: `Load ${t}` });
    for (const s of [account.password, account.accessToken, account.refreshToken]) secrets.add(s);
    const up = await server.upload(
      account.accessToken,
      'timetable.md',
      `# Timetable ${t}\n\nThe ferry number ${t} leaves the harbour at ${7 + t} in the morning and returns at dusk.`,
    );
    await server.waitForDocument(account.accessToken, up.body.document.id);
    accounts.push(account);
  }
});
afterAll(async () => {
  if (server) expectLogsClean(server.logs, secrets);
  await server?.stop();
  await fake?.close();
});

interface StreamResult {
  account: Account;
  events: SseEvent[];
  ms: number;
  error?: string;
}

async function streamChat(account: Account, i: number): Promise<StreamResult> {
  const started = performance.now();
  try {
    const response = await fetch(`${server.url}/api/v1/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: `Question ${i}: when does the ferry leave the harbour?` }),
      signal: AbortSignal.timeout(STREAM_DEADLINE_MS),
    });
    const text = await response.text();
    if (response.status !== 200) return { account, events: [], ms: 0, error: `${response.status} ${text}` };
    return { account, events: parseSse(text), ms: performance.now() - started };
  } catch (error) {
    return { account, events: [], ms: 0, error: (error as Error).message };
  }
}

const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage();
};
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function tokenCounter(): Promise<number> {
  const text = (await server.api('GET', '/api/v1/metrics')).text;
  return text
    .split('\n')
    .filter((l) => l.startsWith('openai_tokens_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('load', () => {
  it(`${STREAMS} concurrent streaming chats: no errors, every ledger row, heap back near its baseline`, async () => {
    // Warm-up: first-use allocations (JIT, pools, caches) are not a leak.
    const warm = await Promise.all(
      Array.from({ length: WARM_UP }, (_, i) => streamChat(accounts[i % TENANTS]!, -1 - i)),
    );
    expect(warm.filter((r) => r.error)).toEqual([]);
    const baseline = heapAfterGc();
    const ledgerBefore = (await server.db.pool.query('SELECT count(*)::int AS n FROM usage_ledger')).rows[0]
      .n;
    const counterBefore = await tokenCounter();

    const results = await Promise.all(
      Array.from({ length: STREAMS }, (_, i) => streamChat(accounts[i % TENANTS]!, i)),
    );

    const failed = results.filter((r) => r.error || r.events.at(-1)?.event !== 'done');
    expect(
      failed.map((r) => r.error ?? JSON.stringify(r.events.at(-1))),
      'every stream ends with done',
    ).toEqual([]);
    for (const r of results) {
      expect(r.events[0]!.event).toBe('sources');
      expect(r.events.filter((e) => e.event === 'token').length).toBeGreaterThan(5);
    }

    // Every answer has exactly one ledger row with the tokens the stream reported, in its own tenant.
    const dones = results.map((r) => ({ tenant: r.account.tenantId, ...r.events.at(-1)!.data }));
    const { rows } = await server.db.pool.query(
      `SELECT tenant_id, message_id, input_tokens, output_tokens FROM usage_ledger WHERE message_id = ANY($1::uuid[])`,
      [dones.map((d) => d.message_id)],
    );
    expect(rows).toHaveLength(STREAMS);
    const byMessage = new Map(rows.map((r) => [r.message_id, r]));
    for (const d of dones) {
      expect(byMessage.get(d.message_id)).toEqual({
        tenant_id: d.tenant,
        message_id: d.message_id,
        input_tokens: d.usage.input_tokens,
        output_tokens: d.usage.output_tokens,
      });
    }
    const ledgerAfter = (await server.db.pool.query('SELECT count(*)::int AS n FROM usage_ledger')).rows[0].n;
    expect(ledgerAfter - ledgerBefore).toBe(STREAMS);
    const ledgerTokens = rows.reduce((s, r) => s + r.input_tokens + r.output_tokens, 0);
    expect((await tokenCounter()) - counterBefore).toBe(ledgerTokens);

    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    const after = heapAfterGc();
    const figures = {
      streams: STREAMS,
      errors: failed.length,
      p50Ms: Math.round(ms[Math.floor(STREAMS * 0.5)]!),
      p95Ms: Math.round(ms[Math.floor(STREAMS * 0.95)]!),
      maxMs: Math.round(ms.at(-1)!),
      ledgerRows: rows.length,
      ledgerTokens,
      heapUsedMb: { before: mb(baseline.heapUsed), after: mb(after.heapUsed) },
      rssMb: { before: mb(baseline.rss), after: mb(after.rss) },
    };
    console.info(`load: ${JSON.stringify(figures)}`);
    // Nothing per stream is kept once it ended (sockets, listeners, timers, buffered tokens).
    expect(after.heapUsed - baseline.heapUsed).toBeLessThan(32 * 1024 * 1024);
  });
});

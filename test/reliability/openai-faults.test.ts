import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeBehavior, type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { type Account, startTestServer, type TestServer } from '../support/server.js';
import { expectLogsClean, rowCounts } from './support.js';

/**
 * Every upstream fault, then the books: one ledger row per upstream call (no call unrecorded, none recorded
 * twice), the user's question kept, at most one answer, and the token counter moved by exactly the ledger's sum.
 * (test/chat-openai.test.ts checks each fault's user-visible events and the exact token figures.)
 */

let fake: FakeOpenAI;
let server: TestServer;
let account: Account;
const secrets = new Set<string>();

beforeAll(async () => {
  fake = await startFakeOpenAI();
  server = await startTestServer({
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-reliability-not-a-real-key',
    // Long enough for a healthy answer on a loaded machine; the timeout cases wait this long.
    LLM_TIMEOUT_MS: '3000',
    CIRCUIT_FAILURE_THRESHOLD: '1000',
  });
  secrets.add('sk-reliability-not-a-real-key');
  account = await server.signUp();
  for (const s of [account.password, account.accessToken, account.refreshToken]) secrets.add(s);
  const up = await server.upload(
    account.accessToken,
    'ferry.md',
    '# Ferry\n\nThe night ferry to the island leaves at eleven from pier four.',
  );
  secrets.add('The night ferry to the island leaves at eleven');
  await server.waitForDocument(account.accessToken, up.body.document.id);
});
afterAll(async () => {
  if (server) expectLogsClean(server.logs, secrets);
  await server?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function tokenCounter(): Promise<number> {
  const text = (await server.api('GET', '/api/v1/metrics')).text;
  return text
    .split('\n')
    .filter((l) => l.startsWith('openai_tokens_total{') && l.includes(`tenant="${account.tenantSlug}"`))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

type Outcome = 'done' | 'error';
const FAULTS: Array<[string, Record<string, FakeBehavior>, Outcome, { answers: number; calls: number }]> = [
  ['429 on the primary', { 'gpt-4o': { status: 429 } }, 'done', { answers: 1, calls: 2 }],
  ['500 on the primary', { 'gpt-4o': { status: 500 } }, 'done', { answers: 1, calls: 2 }],
  ['primary never answers (timeout)', { 'gpt-4o': { hang: true } }, 'done', { answers: 1, calls: 2 }],
  ['malformed body from the primary', { 'gpt-4o': { malformed: true } }, 'done', { answers: 1, calls: 2 }],
  ['stream cut mid-answer', { 'gpt-4o': { cutAfterTokens: 3 } }, 'error', { answers: 1, calls: 1 }],
  ['stream stalls mid-answer', { 'gpt-4o': { stallAfterTokens: 2 } }, 'error', { answers: 1, calls: 1 }],
  ['every model 503', { '*': { status: 503 } }, 'error', { answers: 0, calls: 2 }],
  ['every model times out', { '*': { hang: true } }, 'error', { answers: 0, calls: 2 }],
];

describe('upstream faults lose and duplicate nothing', () => {
  for (const [name, behaviors, outcome, expected] of FAULTS) {
    it(`${name}: the question kept, ${expected.answers} answer, ${expected.calls} ledger rows for ${expected.calls} upstream calls`, async () => {
      for (const [model, behavior] of Object.entries(behaviors)) fake.setBehavior(model, behavior);
      const countsBefore = await rowCounts(server.db.pool);
      const counterBefore = await tokenCounter();

      const events = await server.chat(account.accessToken, 'When does the night ferry leave?');
      const last = events.at(-1)!;
      expect(last.event).toBe(outcome);
      const conversationId = last.data.conversation_id as string;

      const calls = fake.requests.filter((r) => r.path.endsWith('/chat/completions'));
      expect(calls).toHaveLength(expected.calls);
      const { rows: ledger } = await server.db.pool.query(
        `SELECT request_id, attempt, model, input_tokens, output_tokens, message_id
           FROM usage_ledger WHERE conversation_id = $1 ORDER BY attempt`,
        [conversationId],
      );
      // One row per call, in call order, all of one answer.
      expect(ledger.map((r) => r.model)).toEqual(calls.map((c) => c.model));
      expect(ledger.map((r) => r.attempt)).toEqual(calls.map((_, i) => i + 1));
      expect(new Set(ledger.map((r) => r.request_id)).size).toBe(1);

      const { rows: messages } = await server.db.pool.query(
        'SELECT id, role, incomplete FROM messages WHERE conversation_id = $1 ORDER BY created_at',
        [conversationId],
      );
      expect(messages.map((m) => m.role)).toEqual(['user', ...Array(expected.answers).fill('assistant')]);
      const answerId = messages[1]?.id ?? null;
      for (const row of ledger) expect(row.message_id).toBe(answerId);
      if (outcome === 'error' && expected.answers) expect(messages[1].incomplete).toBe(true);

      // The whole turn added exactly these rows, and the counter moved by exactly the ledger's tokens.
      const after = await rowCounts(server.db.pool);
      expect(after.usage_ledger - countsBefore.usage_ledger).toBe(expected.calls);
      expect(after.messages - countsBefore.messages).toBe(1 + expected.answers);
      expect(after.conversations - countsBefore.conversations).toBe(1);
      const ledgerTokens = ledger.reduce((s, r) => s + r.input_tokens + r.output_tokens, 0);
      expect((await tokenCounter()) - counterBefore).toBe(ledgerTokens);
      if (outcome === 'done') expect(ledgerTokens).toBeGreaterThan(0);
    });
  }

  it('the same fault without streaming: a clear 503, the question kept, the calls on the ledger', async () => {
    fake.setBehavior('*', { status: 500 });
    const before = await rowCounts(server.db.pool);
    const res = await server.api('POST', '/api/v1/chat', {
      token: account.accessToken,
      json: { message: 'When does the night ferry leave?', stream: false },
    });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('models_unavailable');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const after = await rowCounts(server.db.pool);
    expect(after.usage_ledger - before.usage_ledger).toBe(2);
    expect(after.messages - before.messages).toBe(1);
  });
});

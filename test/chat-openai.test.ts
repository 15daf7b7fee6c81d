import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countPromptTokens, type FakeOpenAI, startFakeOpenAI } from './fakes/openai.js';
import { type Account, startTestServer, type TestServer } from './support/server.js';

let fake: FakeOpenAI;
let server: TestServer;
let account: Account;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  server = await startTestServer({
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-test-not-a-real-key',
    // Long enough for a healthy answer on a loaded machine; the timeout case waits this long once.
    LLM_TIMEOUT_MS: '5000',
    // Every test decides its own failures; keep the breaker out of the way here (it has its own tests).
    CIRCUIT_FAILURE_THRESHOLD: '1000',
  });
  account = await server.signUp({ tenant_name: 'Demo Corp' });
  const up = await server.upload(
    account.accessToken,
    'pricing.md',
    '# Pricing\n\nThe premium plan costs forty dollars per month and includes priority support.',
    'text/markdown',
  );
  expect(up.status).toBe(202);
  expect((await server.waitForDocument(account.accessToken, up.body.document.id)).status).toBe('ready');
});
afterAll(async () => {
  await server?.stop();
  await fake?.close();
});
beforeEach(() => fake.reset());

const QUESTION = 'What does the premium plan cost per month?';

async function ledger(conversationId: string) {
  const { rows } = await server.db.pool.query(
    `SELECT model, attempt, input_tokens, output_tokens, estimated, message_id FROM usage_ledger
      WHERE conversation_id = $1 ORDER BY created_at, attempt`,
    [conversationId],
  );
  return rows;
}

async function metric(pattern: string): Promise<number> {
  const text = (await server.api('GET', '/api/v1/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(pattern));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const chatRequests = () => fake.requests.filter((r) => r.path.endsWith('/chat/completions'));

describe('model fallback with the real openai SDK against a fake upstream', () => {
  for (const [name, behavior] of [
    ['429', { status: 429 }],
    ['500', { status: 500 }],
    ['a timeout', { hang: true }],
    ['a malformed body', { malformed: true }],
  ] as const) {
    it(`answers from gpt-4o-mini when gpt-4o fails with ${name} before the first token`, async () => {
      fake.setBehavior('gpt-4o', behavior);
      const fallbackMetric = `ml_fallback_total{from_model="gpt-4o",to_model="gpt-4o-mini",tenant="${account.tenantSlug}"}`;
      const before = await metric(fallbackMetric);
      const events = await server.chat(account.accessToken, QUESTION);
      const kinds = events.map((e) => e.event);
      expect(kinds[0]).toBe('sources');
      expect(kinds.indexOf('fallback')).toBeLessThan(kinds.indexOf('token'));
      expect(events.find((e) => e.event === 'fallback')!.data).toMatchObject({
        from: 'gpt-4o',
        to: 'gpt-4o-mini',
      });
      const done = events.at(-1)!;
      expect(done.event).toBe('done');
      expect(done.data).toMatchObject({ model: 'gpt-4o-mini', fallback: true, usage: { estimated: false } });
      expect(await metric(fallbackMetric)).toBe(before + 1);

      // One ledger row per model call, exact to the token the upstream counted.
      const mini = chatRequests().find((r) => r.model === 'gpt-4o-mini')!;
      const answer = events
        .filter((e) => e.event === 'token')
        .map((e) => e.data.text)
        .join('');
      const rows = await ledger(done.data.conversation_id);
      expect(rows).toEqual([
        {
          model: 'gpt-4o',
          attempt: 1,
          input_tokens: 0,
          output_tokens: 0,
          estimated: false,
          message_id: done.data.message_id,
        },
        {
          model: 'gpt-4o-mini',
          attempt: 2,
          input_tokens: countPromptTokens(mini.body.messages),
          output_tokens: countTokens(answer),
          estimated: false,
          message_id: done.data.message_id,
        },
      ]);
      expect(mini.body.stream_options).toEqual({ include_usage: true });
    });
  }

  it('moves the token and request counters by exactly what the ledger records', async () => {
    const tokens = (direction: string) =>
      metric(`openai_tokens_total{tenant="${account.tenantSlug}",direction="${direction}",model="gpt-4o"}`);
    const requests = () =>
      metric(`openai_request_total{tenant="${account.tenantSlug}",model="gpt-4o",status="success"}`);
    const [inBefore, outBefore, reqBefore] = [await tokens('in'), await tokens('out'), await requests()];
    const events = await server.chat(account.accessToken, QUESTION);
    expect(events.at(-1)!.data).toMatchObject({ model: 'gpt-4o', fallback: false });
    const [row] = await ledger(events.at(-1)!.data.conversation_id);
    expect(await tokens('in')).toBe(inBefore + row.input_tokens);
    expect(await tokens('out')).toBe(outBefore + row.output_tokens);
    expect(await requests()).toBe(reqBefore + 1);
    expect(row.input_tokens).toBeGreaterThan(20);
  });

  it('ends a stream cut after the first tokens with an error event, keeps the partial answer and estimates its usage', async () => {
    fake.setBehavior('gpt-4o', { cutAfterTokens: 3 });
    const events = await server.chat(account.accessToken, QUESTION);
    const tokens = events.filter((e) => e.event === 'token').map((e) => e.data.text);
    expect(tokens).toHaveLength(3);
    const error = events.at(-1)!;
    expect(error.event).toBe('error');
    expect(error.data.error).toBe('model_failed');
    expect(chatRequests().map((r) => r.model)).toEqual(['gpt-4o']);

    const conversation = await server.api('GET', `/api/v1/conversations/${error.data.conversation_id}`, {
      token: account.accessToken,
    });
    const stored = conversation.body.messages.at(-1);
    expect(stored).toMatchObject({
      role: 'assistant',
      incomplete: true,
      content: tokens.join(''),
      model: 'gpt-4o',
    });
    const rows = await ledger(error.data.conversation_id);
    expect(rows).toEqual([
      expect.objectContaining({
        model: 'gpt-4o',
        estimated: true,
        output_tokens: countTokens(tokens.join('')),
      }),
    ]);
    expect(rows[0].input_tokens).toBe(countPromptTokens(chatRequests()[0]!.body.messages));
  });

  it('tells the user clearly when every model is down and keeps the question', async () => {
    fake.setBehavior('*', { status: 503 });
    const events = await server.chat(account.accessToken, QUESTION);
    const last = events.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({ error: 'models_unavailable', message_id: null });
    expect(events.some((e) => e.event === 'token')).toBe(false);

    const plain = await server.api('POST', '/api/v1/chat', {
      token: account.accessToken,
      json: { message: QUESTION, conversation_id: last.data.conversation_id, stream: false },
    });
    expect(plain.status).toBe(503);
    expect(plain.body.error).toBe('models_unavailable');
    expect(plain.text).not.toMatch(/at .*\.ts:\d+/);

    const conversation = await server.api('GET', `/api/v1/conversations/${last.data.conversation_id}`, {
      token: account.accessToken,
    });
    expect(conversation.body.messages.map((m: any) => [m.role, m.content])).toEqual([
      ['user', QUESTION],
      ['user', QUESTION],
    ]);
  });

  it('answers without streaming in one JSON body', async () => {
    const res = await server.api('POST', '/api/v1/chat', {
      token: account.accessToken,
      json: { message: QUESTION, stream: false },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ model: 'gpt-4o', fallback: false, usage: { estimated: false } });
    expect(res.body.answer).toContain('Answer from gpt-4o');
    expect(res.body.sources[0]).toMatchObject({ n: 1, document_name: 'pricing.md' });
  });

  it('embeds documents and questions through the OpenAI embeddings API, caching repeated questions', async () => {
    await server.chat(account.accessToken, 'Which plan includes priority support?');
    await server.chat(account.accessToken, 'Which plan includes priority support?');
    const embeddings = fake.requests.filter((r) => r.path.endsWith('/embeddings'));
    expect(embeddings).toHaveLength(1);
    expect(embeddings[0]!.body).toMatchObject({ model: 'text-embedding-3-small', dimensions: 512 });
  });
});

describe('embedding outage', () => {
  it('answers 503 with a reason when the question cannot be embedded, and keeps the question', async () => {
    fake.setBehavior('text-embedding-3-small', { status: 500 });
    const question = 'Is there a discount for yearly premium plans?';
    const res = await server.api('POST', '/api/v1/chat', {
      token: account.accessToken,
      json: { message: question },
    });
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('embeddings_unavailable');
    expect(res.headers.get('retry-after')).toBe('30');
    const { rows } = await server.db.pool.query(
      `SELECT count(*)::int AS n FROM messages WHERE tenant_id = $1 AND role = 'user' AND content = $2`,
      [account.tenantId, question],
    );
    expect(rows[0].n).toBe(1);
  });
});

describe('circuit breaker', () => {
  it('skips a dead primary without calling it once its circuit is open', async () => {
    const breakerFake = await startFakeOpenAI();
    const s = await startTestServer({
      OPENAI_BASE_URL: breakerFake.url,
      OPENAI_API_KEY: 'sk-test',
      CIRCUIT_FAILURE_THRESHOLD: '2',
      CIRCUIT_COOLDOWN_SECONDS: '600',
    });
    try {
      const a = await s.signUp();
      const up = await s.upload(
        a.accessToken,
        'kb.md',
        '# KB\n\nThe office wifi password rotates weekly.',
        'text/markdown',
      );
      await s.waitForDocument(a.accessToken, up.body.document.id);
      breakerFake.setBehavior('gpt-4o', { status: 500 });
      for (let i = 0; i < 3; i++) {
        const events = await s.chat(a.accessToken, 'How often does the wifi password rotate?');
        expect(events.at(-1)!.data.model).toBe('gpt-4o-mini');
      }
      const calls = breakerFake.requests
        .filter((r) => r.path.endsWith('/chat/completions'))
        .map((r) => r.model);
      expect(calls).toEqual(['gpt-4o', 'gpt-4o-mini', 'gpt-4o', 'gpt-4o-mini', 'gpt-4o-mini']);
    } finally {
      await s.stop();
      await breakerFake.close();
    }
  });
});

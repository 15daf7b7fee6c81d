import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  countPromptTokens,
  type FakeBehavior,
  type FakeOpenAI,
  startFakeOpenAI,
} from '../../../test/fakes/openai.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { AllModelsFailedError, LlmConfigurationError } from './errors.js';
import { type AttemptRecord, type ChainEvent, FallbackChain, type FallbackRecord } from './fallback-chain.js';
import { LocalChatProvider } from './local-chat-provider.js';
import { OpenAIChatProvider } from './openai-chat-provider.js';
import { createOpenAIClient } from './openai-client.js';
import type { ChatMessage } from './types.js';

let fake: FakeOpenAI;
let provider: OpenAIChatProvider;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  provider = new OpenAIChatProvider(
    createOpenAIClient({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.url, LLM_TIMEOUT_MS: 2000 }),
  );
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const messages: ChatMessage[] = [
  { role: 'system', content: 'Answer only from the context and cite [n].' },
  { role: 'user', content: 'When does the billing job run?' },
];

function chain(options: { breaker?: CircuitBreaker; models?: string[] } = {}) {
  return new FallbackChain({
    models: options.models ?? ['gpt-4o', 'gpt-4o-mini'],
    providerFor: (model) => (model === 'local' ? new LocalChatProvider() : provider),
    timeoutMs: 300,
    breaker: options.breaker,
  });
}

async function run(c: FallbackChain) {
  const events: ChainEvent[] = [];
  const attempts: AttemptRecord[] = [];
  const fallbacks: FallbackRecord[] = [];
  let thrown: unknown;
  try {
    for await (const e of c.stream({
      messages,
      onAttempt: (a) => attempts.push(a),
      onFallback: (f) => fallbacks.push(f),
    })) {
      events.push(e);
    }
  } catch (err) {
    thrown = err;
  }
  const end = events.at(-1);
  const tokens = events.filter((e) => e.type === 'token').map((e) => e.text);
  return { events, attempts, fallbacks, thrown, end, text: tokens.join('') };
}

describe('FallbackChain against the OpenAI API (fake server, real SDK)', () => {
  it('answers from gpt-4o with the exact usage from the usage chunk', async () => {
    fake.setBehavior('gpt-4o', { answer: 'The billing job runs at 03:00 Tehran time [1].' });
    const r = await run(chain());
    expect(r.text).toBe('The billing job runs at 03:00 Tehran time [1].');
    expect(r.end).toMatchObject({
      type: 'done',
      model: 'gpt-4o',
      estimated: false,
      usage: { inputTokens: countPromptTokens(messages), outputTokens: countTokens(r.text) },
      fallbacks: [],
    });
    expect(r.attempts).toEqual([
      expect.objectContaining({ model: 'gpt-4o', attempt: 1, outcome: 'success', estimated: false }),
    ]);
    expect(fake.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it.each<[string, FakeBehavior, string]>([
    ['429', { status: 429 }, 'rate_limited'],
    ['500', { status: 500 }, 'server_error'],
    ['a timeout', { hang: true }, 'timeout'],
    ['a malformed body', { malformed: true }, 'malformed'],
  ])('falls back to gpt-4o-mini before the first token on %s', async (_, behavior, reason) => {
    fake.setBehavior('gpt-4o', behavior);
    fake.setBehavior('gpt-4o-mini', { answer: 'Answer from the smaller model [1].' });
    const r = await run(chain());
    expect(r.text).toBe('Answer from the smaller model [1].');
    expect(r.end).toMatchObject({ type: 'done', model: 'gpt-4o-mini', estimated: false });
    expect(r.fallbacks).toEqual([{ from: 'gpt-4o', to: 'gpt-4o-mini', reason }]);
    expect(r.events.filter((e) => e.type === 'fallback')).toHaveLength(1);
    expect(r.attempts.map((a) => [a.model, a.attempt, a.outcome, a.inputTokens, a.outputTokens])).toEqual([
      ['gpt-4o', 1, 'error', 0, 0],
      ['gpt-4o-mini', 2, 'success', countPromptTokens(messages), countTokens(r.text)],
    ]);
    expect(fake.requests.map((q) => q.model)).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });

  it('ends with an error event and an estimated, incomplete answer when the stream is cut after the first token', async () => {
    fake.setBehavior('gpt-4o', { answer: 'The billing job runs every night at three.', cutAfterTokens: 3 });
    const r = await run(chain());
    expect(r.thrown).toBeUndefined();
    expect(r.text).toBe('The billing job');
    expect(r.end).toMatchObject({ type: 'error', model: 'gpt-4o', partialText: 'The billing job' });
    expect(r.attempts).toEqual([
      expect.objectContaining({
        model: 'gpt-4o',
        outcome: 'error',
        estimated: true,
        inputTokens: countPromptTokens(messages),
        outputTokens: countTokens('The billing job'),
      }),
    ]);
    // The user already saw gpt-4o's words: no second model is asked.
    expect(fake.requests.map((q) => q.model)).toEqual(['gpt-4o']);
  });

  it('treats a stream that goes silent after the first token as a timeout', async () => {
    fake.setBehavior('gpt-4o', { answer: 'one two three', stallAfterTokens: 1 });
    const r = await run(chain());
    expect(r.end).toMatchObject({ type: 'error', partialText: 'one', error: { kind: 'timeout' } });
  });

  it('throws AllModelsFailedError when both models are down, after one call each', async () => {
    fake.setBehavior('*', { status: 503 });
    const r = await run(chain());
    expect(r.thrown).toBeInstanceOf(AllModelsFailedError);
    expect((r.thrown as AllModelsFailedError).failures.map((f) => [f.model, f.kind])).toEqual([
      ['gpt-4o', 'server_error'],
      ['gpt-4o-mini', 'server_error'],
    ]);
    expect(r.attempts.map((a) => a.outcome)).toEqual(['error', 'error']);
    expect(r.text).toBe('');
  });

  it('surfaces a rejected key as a configuration error without trying the next model', async () => {
    fake.setBehavior('gpt-4o', { status: 401 });
    const r = await run(chain());
    expect(r.thrown).toBeInstanceOf(LlmConfigurationError);
    expect((r.thrown as Error).message).toMatch(/401.*OPENAI_API_KEY/);
    expect(fake.requests.map((q) => q.model)).toEqual(['gpt-4o']);
  });

  it('opens the circuit after N failures, skips the model without a call, and closes after the cooldown', async () => {
    let clock = 1_000_000;
    const breaker = new CircuitBreaker({
      failureThreshold: 2,
      windowMs: 60_000,
      cooldownMs: 30_000,
      now: () => clock,
    });
    const c = chain({ breaker });
    fake.setBehavior('gpt-4o', { status: 500 });
    await run(c);
    clock += 1000;
    await run(c);
    expect(breaker.state('gpt-4o')).toBe('open');
    fake.reset();

    const skipped = await run(c);
    expect(fake.requests.map((q) => q.model)).toEqual(['gpt-4o-mini']);
    expect(skipped.fallbacks).toEqual([{ from: 'gpt-4o', to: 'gpt-4o-mini', reason: 'circuit_open' }]);
    expect(skipped.attempts.map((a) => [a.model, a.attempt])).toEqual([['gpt-4o-mini', 1]]);
    expect(skipped.end).toMatchObject({ type: 'done', model: 'gpt-4o-mini' });

    clock += 30_000;
    fake.reset();
    const recovered = await run(c);
    expect(recovered.end).toMatchObject({ type: 'done', model: 'gpt-4o' });
    expect(breaker.state('gpt-4o')).toBe('closed');
  });

  it('falls back to the offline local model at the end of the chain', async () => {
    fake.setBehavior('*', { status: 429 });
    const withContext: ChatMessage[] = [
      {
        role: 'system',
        content: 'Context:\n<context>\n[1]\nThe billing job runs at 03:00 every night.\n</context>',
      },
      { role: 'user', content: 'When does the billing job run?' },
    ];
    const events: ChainEvent[] = [];
    for await (const e of chain({ models: ['gpt-4o', 'gpt-4o-mini', 'local'] }).stream({
      messages: withContext,
    })) {
      events.push(e);
    }
    expect(events.at(-1)).toMatchObject({
      type: 'done',
      model: 'local',
      text: expect.stringContaining('03:00'),
    });
    expect(
      events.filter((e) => e.type === 'fallback').map((e) => (e.type === 'fallback' ? e.to : '')),
    ).toEqual(['gpt-4o-mini', 'local']);
  });

  it('still reports the call when the reader stops mid-answer, with tokens counted so far', async () => {
    fake.setBehavior('gpt-4o', { answer: 'alpha beta gamma delta' });
    const attempts: AttemptRecord[] = [];
    for await (const e of chain().stream({ messages, onAttempt: (a) => attempts.push(a) })) {
      if (e.type === 'token') break;
    }
    expect(attempts).toEqual([
      expect.objectContaining({
        model: 'gpt-4o',
        failure: 'aborted',
        estimated: true,
        outputTokens: countTokens('alpha'),
      }),
    ]);
  });

  it('stops without trying another model when the client aborts mid-answer', async () => {
    fake.setBehavior('gpt-4o', { answer: 'one two three four', stallAfterTokens: 2 });
    const controller = new AbortController();
    const attempts: AttemptRecord[] = [];
    const tokens: string[] = [];
    const failure = await (async () => {
      for await (const e of chain().stream({
        messages,
        signal: controller.signal,
        onAttempt: (a) => attempts.push(a),
      })) {
        if (e.type === 'token') {
          tokens.push(e.text);
          if (tokens.length === 2) controller.abort();
        }
      }
    })().catch((err: unknown) => err);
    expect(failure).toMatchObject({ kind: 'aborted', model: 'gpt-4o' });
    expect(attempts).toEqual([expect.objectContaining({ failure: 'aborted', estimated: true })]);
    expect(fake.requests.map((q) => q.model)).toEqual(['gpt-4o']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/fakes/openai.js';
import { loadConfig } from '../../config/index.js';
import { createChatBackend } from './create-chat-backend.js';
import type { ChainEvent } from './fallback-chain.js';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());

async function answer(env: NodeJS.ProcessEnv) {
  const events: ChainEvent[] = [];
  const chain = createChatBackend(loadConfig(env));
  for await (const e of chain.stream({ messages: [{ role: 'user', content: 'hello?' }] })) events.push(e);
  return { chain, end: events.at(-1) };
}

describe('createChatBackend', () => {
  it('uses the offline local model when no OpenAI key or base URL is configured', async () => {
    const { chain, end } = await answer({});
    expect(chain.models).toEqual(['local']);
    expect(end).toMatchObject({ type: 'done', model: 'local' });
    expect(fake.requests).toHaveLength(0);
  });

  it('uses the CHAT_MODELS chain at OPENAI_BASE_URL, falling back when the first model fails', async () => {
    fake.setBehavior('gpt-4o', { status: 500 });
    const { chain, end } = await answer({ OPENAI_BASE_URL: fake.url, CIRCUIT_FAILURE_THRESHOLD: '1' });
    expect(chain.models).toEqual(['gpt-4o', 'gpt-4o-mini']);
    expect(end).toMatchObject({ type: 'done', model: 'gpt-4o-mini' });
    // The configured threshold of 1 opened gpt-4o's circuit at its first failure.
    expect(chain.breaker?.state('gpt-4o')).toBe('open');
  });

  it('follows LLM_PROVIDER=local even when a key is set', async () => {
    const { chain } = await answer({ OPENAI_API_KEY: 'sk-x', LLM_PROVIDER: 'local' });
    expect(chain.models).toEqual(['local']);
  });
});

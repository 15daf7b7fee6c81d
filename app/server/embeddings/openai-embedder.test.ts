import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOpenAI, fakeEmbedding, startFakeOpenAI } from '../../../test/fakes/openai.js';
import { LlmConfigurationError } from '../llm/errors.js';
import { createOpenAIClient } from '../llm/openai-client.js';
import { countTokens } from '../llm/tokens.js';
import { OpenAIEmbedder, type OpenAIEmbedderOptions } from './openai-embedder.js';

let fake: FakeOpenAI;
const MODEL = 'text-embedding-3-small';

beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

function embedder(options: Partial<OpenAIEmbedderOptions> = {}) {
  const sleeps: number[] = [];
  const e = new OpenAIEmbedder({
    client: createOpenAIClient({
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: fake.url,
      LLM_TIMEOUT_MS: 2000,
    }),
    dimensions: 32,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  return { e, sleeps };
}

const embeddingRequests = () => fake.requests.filter((r) => r.path === '/v1/embeddings');

describe('OpenAIEmbedder against the embeddings API (fake server, real SDK)', () => {
  it('returns one vector per text in input order, with the configured dimensions', async () => {
    const texts = ['first chunk', 'دومین بخش', 'third chunk'];
    const vectors = await embedder().e.embed(texts);
    expect(vectors).toHaveLength(3);
    vectors.forEach((vec, i) => {
      expect(vec).toHaveLength(32);
      const expected = fakeEmbedding(MODEL, texts[i] as string, 32);
      expect(vec[0]).toBeCloseTo(expected[0] as number, 5);
    });
    expect(embeddingRequests()[0]?.body).toMatchObject({ model: MODEL, dimensions: 32, input: texts });
  });

  it('sends many inputs per request and splits only at the 2048-input limit', async () => {
    const texts = Array.from({ length: 2050 }, (_, i) => `chunk number ${i}`);
    const vectors = await embedder().e.embed(texts);
    expect(vectors).toHaveLength(2050);
    expect(embeddingRequests().map((r) => r.body.input.length)).toEqual([2048, 2]);
    expect(vectors[2049]?.[0]).toBeCloseTo(fakeEmbedding(MODEL, 'chunk number 2049', 32)[0] as number, 5);
  });

  it('splits batches by the per-request token budget too', async () => {
    const text = 'word '.repeat(100).trim();
    const perText = countTokens(text);
    await embedder({ maxTokensPerRequest: perText * 3 }).e.embed(Array.from({ length: 7 }, () => text));
    expect(embeddingRequests().map((r) => r.body.input.length)).toEqual([3, 3, 1]);
  });

  it('cuts an over-long input to 8191 tokens instead of failing the batch', async () => {
    const long = 'lorem ipsum dolor sit amet '.repeat(2500);
    expect(countTokens(long)).toBeGreaterThan(8191);
    await embedder().e.embed([long, 'short']);
    const sent: string[] = embeddingRequests()[0]?.body.input;
    expect(countTokens(sent[0] as string)).toBeLessThanOrEqual(8191);
    expect(sent[1]).toBe('short');
  });

  it('retries a 429 with backoff (at least the retry-after) and then succeeds', async () => {
    fake.setBehavior(MODEL, { status: 429, retryAfterSeconds: 2, failures: 2 });
    const { e, sleeps } = embedder({ baseDelayMs: 100 });
    const vectors = await e.embed(['a', 'b']);
    expect(vectors).toHaveLength(2);
    expect(embeddingRequests()).toHaveLength(3);
    expect(sleeps).toEqual([2000, 2000]);
  });

  it('retries 5xx and timeouts with growing jittered delays', async () => {
    fake.setBehavior(MODEL, { status: 502, failures: 3 });
    const { e, sleeps } = embedder({ baseDelayMs: 100 });
    await e.embed(['a']);
    expect(sleeps).toEqual([50, 100, 200]);

    fake.reset();
    fake.setBehavior(MODEL, { hang: true, failures: 1 });
    const t = embedder({ timeoutMs: 150 });
    await expect(t.e.embed(['a'])).resolves.toHaveLength(1);
    expect(t.sleeps).toHaveLength(1);
  });

  it('gives up after maxAttempts with the classified error', async () => {
    fake.setBehavior(MODEL, { status: 500 });
    const { e } = embedder({ maxAttempts: 3 });
    await expect(e.embed(['a'])).rejects.toMatchObject({ kind: 'server_error', status: 500 });
    expect(embeddingRequests()).toHaveLength(3);
  });

  it('never retries a rejected request (4xx other than 429)', async () => {
    fake.setBehavior(MODEL, { status: 400 });
    const { e, sleeps } = embedder();
    const err = await e.embed(['a']).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(LlmConfigurationError);
    expect(embeddingRequests()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('says which setting to change when the server returns another dimension than configured', async () => {
    fake.setBehavior(MODEL, { dimensions: 768 });
    await expect(embedder().e.embed(['a'])).rejects.toThrow(
      /returned vectors of 768 dimensions but EMBEDDING_DIMENSIONS is 32.*npm run reindex/,
    );
  });

  it('stops at once when the caller aborts', async () => {
    fake.setBehavior(MODEL, { hang: true });
    const controller = new AbortController();
    const pending = embedder().e.embed(['a'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    expect(embeddingRequests()).toHaveLength(1);
  });
});

import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countPromptTokens, type FakeOpenAI, fakeEmbedding, startFakeOpenAI } from './openai.js';

let fake: FakeOpenAI;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  client = new OpenAI({
    baseURL: fake.url,
    apiKey: 'test-key',
    maxRetries: 0,
    timeout: 2000,
    logLevel: 'off',
  });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const messages = [
  { role: 'system' as const, content: 'Answer from the context.' },
  { role: 'user' as const, content: 'What is the backup schedule?' },
];

describe('fake OpenAI chat completions', () => {
  it('streams the answer word by word and ends with a usage chunk that has no choices', async () => {
    fake.setBehavior('gpt-4o', { answer: 'Backups run at 02:00 [1].' });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const usages: OpenAI.CompletionUsage[] = [];
    let emptyChoiceChunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usages.push(chunk.usage);
      if (chunk.choices.length === 0) emptyChoiceChunks++;
    }
    expect(text).toBe('Backups run at 02:00 [1].');
    expect(usages).toHaveLength(1);
    expect(emptyChoiceChunks).toBe(1);
    expect(usages[0]?.prompt_tokens).toBe(countPromptTokens(messages));
    expect(usages[0]?.completion_tokens).toBeGreaterThan(0);
    expect(fake.requests.map((r) => r.model)).toEqual(['gpt-4o']);
  });

  it('sends no usage chunk unless include_usage is asked for', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    for await (const chunk of stream) expect(chunk.usage ?? null).toBeNull();
  });

  it('answers without streaming with the same usage accounting', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(completion.choices[0]?.message.content).toContain('backup schedule');
    expect(completion.usage?.prompt_tokens).toBe(countPromptTokens(messages));
  });

  it('fails one model with 429 and retry-after while another still answers', async () => {
    fake.setBehavior('gpt-4o', { status: 429, retryAfterSeconds: 7 });
    const failure = await client.chat.completions.create({ model: 'gpt-4o', messages }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
    expect((failure as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7');
    const ok = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(ok.choices[0]?.message.content).toBeTruthy();
  });

  it('answers 500 as an internal server error', async () => {
    fake.setBehavior('*', { status: 500 });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toBeInstanceOf(
      OpenAI.InternalServerError,
    );
  });

  it('never answers a hanging model, so the client timeout fires', async () => {
    fake.setBehavior('gpt-4o', { hang: true });
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages }, { timeout: 150 }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('returns a body that is not JSON when told to be malformed', async () => {
    fake.setBehavior('gpt-4o', { malformed: true });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toThrow();
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    await expect(
      (async () => {
        for await (const _ of stream) {
        }
      })(),
    ).rejects.toThrow(SyntaxError);
  });

  it('cuts the stream after k tokens by destroying the socket, without a usage chunk', async () => {
    fake.setBehavior('gpt-4o', { answer: 'one two three four five', cutAfterTokens: 2 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usageSeen = false;
    const error = await (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        usageSeen ||= Boolean(chunk.usage);
      }
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(text).toBe('one two');
    expect(usageSeen).toBe(false);
  });

  it('fails only the first N requests when failures is set', async () => {
    fake.setBehavior('gpt-4o', { status: 503, failures: 1 });
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages })).rejects.toBeInstanceOf(
      OpenAI.InternalServerError,
    );
    await expect(client.chat.completions.create({ model: 'gpt-4o', messages })).resolves.toBeTruthy();
  });
});

describe('fake OpenAI pacing (for benchmarks)', () => {
  it('holds the response for latencyMs, long enough for a shorter client timeout to fire', async () => {
    fake.setBehavior('gpt-4o', { latencyMs: 400 });
    await expect(
      client.chat.completions.create({ model: 'gpt-4o', messages }, { timeout: 100 }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('streams every chunk of the answer at a fixed token rate', async () => {
    fake.setBehavior('gpt-4o', { answer: 'a b c d e', tokensPerSecond: 200 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const pieces: string[] = [];
    for await (const chunk of stream)
      if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
    expect(pieces).toEqual(['a', ' b', ' c', ' d', ' e']);
  });
});

describe('fake OpenAI embeddings', () => {
  it('returns one deterministic vector per input with the requested dimensions, through base64', async () => {
    const res = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['سلام دنیا', 'hello world'],
      dimensions: 64,
    });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]?.embedding).toHaveLength(64);
    const expected = fakeEmbedding('text-embedding-3-small', 'سلام دنیا', 64);
    for (const [i, v] of (res.data[0]?.embedding ?? []).entries())
      expect(v).toBeCloseTo(expected[i] as number, 5);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('returns plain float arrays when asked for floats', async () => {
    const res = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'x',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(res.data[0]?.embedding).toEqual(fakeEmbedding('text-embedding-3-small', 'x', 8));
    expect(fake.requests[0]?.body.encoding_format).toBe('float');
  });
});

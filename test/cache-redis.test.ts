import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from './fakes/openai.js';
import { freePort, RedisProcess } from './support/redis.js';
import { type Account, startTestServer, type TestServer } from './support/server.js';

let redis: RedisProcess;
let fake: FakeOpenAI;
let server: TestServer;
let account: Account;

beforeAll(async () => {
  redis = new RedisProcess(await freePort());
  await redis.start();
  fake = await startFakeOpenAI();
  server = await startTestServer({
    REDIS_URL: redis.url,
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-test',
  });
  account = await server.signUp();
  const up = await server.upload(
    account.accessToken,
    'faq.md',
    '# FAQ\n\nRefunds are processed within five business days.',
    'text/markdown',
  );
  await server.waitForDocument(account.accessToken, up.body.document.id);
});
afterAll(async () => {
  await server?.stop();
  await fake?.close();
  await redis?.kill();
});

const embeddingCalls = () => fake.requests.filter((r) => r.path.endsWith('/embeddings')).length;
const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
};
const cacheStatus = async () => (await server.api('GET', '/api/v1/health')).body.checks.cache;

describe('Redis cache', () => {
  it('caches query embeddings in Redis under the tenant prefix', async () => {
    const before = embeddingCalls();
    await server.chat(account.accessToken, 'How long do refunds take?');
    await server.chat(account.accessToken, 'How long do refunds take?');
    expect(embeddingCalls()).toBe(before + 1);
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('*');
      const cacheKeys = keys.filter((k) => !k.startsWith('docuchat-ratelimit:'));
      expect(cacheKeys.length).toBeGreaterThan(0);
      for (const key of cacheKeys) expect(key.startsWith(`docuchat:${account.tenantId}:`), key).toBe(true);
      // Login attempts were counted in Redis too, so every replica shares the limit.
      expect(
        keys.some((k) => k.startsWith('docuchat-ratelimit:')),
        keys.join(),
      ).toBe(true);
    } finally {
      client.disconnect();
    }
  });

  it('keeps answering while Redis is down, reports the cache degraded, and uses Redis again when it returns', async () => {
    await redis.kill();
    await until(async () => (await cacheStatus()) === 'degraded', 'cache: degraded');
    const health = await server.api('GET', '/api/v1/health');
    expect(health.status).toBe(200);

    const before = embeddingCalls();
    const events = await server.chat(account.accessToken, 'Are refunds processed within business days?');
    expect(events.at(-1)!.event).toBe('done');
    expect(embeddingCalls()).toBe(before + 1);
    const warnings = server.logs.filter((l) => l.includes('Redis unavailable'));
    expect(warnings).toHaveLength(1);

    await redis.start();
    await until(async () => (await cacheStatus()) === 'ok', 'cache: ok');
    await server.chat(account.accessToken, 'What is the refund policy?');
    const afterFirst = embeddingCalls();
    await server.chat(account.accessToken, 'What is the refund policy?');
    expect(embeddingCalls()).toBe(afterFirst);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI } from '../../../test/fakes/openai.js';
import { loadConfig } from '../../config/index.js';
import { createEmbedder } from './create-embedder.js';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());

describe('createEmbedder', () => {
  it('embeds offline with the hashing embedder when OpenAI is not configured', async () => {
    const e = createEmbedder(loadConfig({ EMBEDDING_DIMENSIONS: '64' }));
    expect(e.model).toBe('local-hashing-v1');
    expect((await e.embed(['hello']))[0]).toHaveLength(64);
    expect(fake.requests).toHaveLength(0);
  });

  it('embeds through OPENAI_BASE_URL with the configured model and dimension', async () => {
    const e = createEmbedder(loadConfig({ OPENAI_BASE_URL: fake.url, EMBEDDING_DIMENSIONS: '128' }));
    expect(e.model).toBe('text-embedding-3-small');
    expect((await e.embed(['hello']))[0]).toHaveLength(128);
    expect(fake.requests.map((r) => [r.path, r.body.dimensions])).toEqual([['/v1/embeddings', 128]]);
  });
});

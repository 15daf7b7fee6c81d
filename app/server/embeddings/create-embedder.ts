import type { Config } from '../../config/index.js';
import { createOpenAIClient } from '../llm/openai-client.js';
import { LocalHashingEmbedder } from './local-hashing-embedder.js';
import { OpenAIEmbedder } from './openai-embedder.js';
import type { Embedder } from './types.js';

/** The embedder this deployment uses: OpenAI (or compatible) when configured, the offline hashing one otherwise. */
export function createEmbedder(config: Config): Embedder {
  if (config.llmProvider === 'openai') {
    return new OpenAIEmbedder({
      client: createOpenAIClient(config),
      model: config.EMBEDDING_MODEL,
      dimensions: config.EMBEDDING_DIMENSIONS,
    });
  }
  return new LocalHashingEmbedder(config.EMBEDDING_DIMENSIONS);
}

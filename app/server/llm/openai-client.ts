import OpenAI from 'openai';
import type { Config } from '../../config/index.js';

/** The public OpenAI endpoint, used when OPENAI_BASE_URL is unset. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * One SDK client for chat and embeddings. The SDK's own retries are off: the fallback chain (chat) and the
 * embedder's backoff decide what happens after a failure, and a hidden retry would double the latency budget.
 */
export function createOpenAIClient(
  config: Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'LLM_TIMEOUT_MS'>,
): OpenAI {
  return new OpenAI({
    // OpenAI-compatible servers (Ollama, vLLM) often need no key, but the SDK refuses to start without one.
    apiKey: config.OPENAI_API_KEY || 'no-key',
    // Passed explicitly so the SDK never falls back to process.env behind the typed configuration's back.
    baseURL: config.OPENAI_BASE_URL ?? OPENAI_DEFAULT_BASE_URL,
    maxRetries: 0,
    timeout: config.LLM_TIMEOUT_MS,
    // The SDK would print unparsable stream chunks to the console; failures reach our logs as classified errors.
    logLevel: 'off',
  });
}

import type { Config } from '../../config/index.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { FallbackChain } from './fallback-chain.js';
import { LOCAL_MODEL, LocalChatProvider } from './local-chat-provider.js';
import { OpenAIChatProvider } from './openai-chat-provider.js';
import { createOpenAIClient } from './openai-client.js';

/**
 * The chat backend this deployment uses. With OpenAI (or a compatible server) configured: the CHAT_MODELS chain
 * (default gpt-4o then gpt-4o-mini) with a circuit breaker per model; a model named `local` in the chain is served
 * offline, so `CHAT_MODELS=gpt-4o,gpt-4o-mini,local` never leaves a user without an answer. Without OpenAI: the
 * offline `local` provider alone.
 */
export function createChatBackend(config: Config): FallbackChain {
  const local = new LocalChatProvider();
  if (config.llmProvider === 'local') {
    return new FallbackChain({
      models: [LOCAL_MODEL],
      providerFor: () => local,
      timeoutMs: config.LLM_TIMEOUT_MS,
    });
  }
  const openai = new OpenAIChatProvider(createOpenAIClient(config));
  return new FallbackChain({
    models: config.CHAT_MODELS,
    providerFor: (model) => (model === LOCAL_MODEL ? local : openai),
    timeoutMs: config.LLM_TIMEOUT_MS,
    breaker: new CircuitBreaker({
      failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD,
      windowMs: config.CIRCUIT_WINDOW_SECONDS * 1000,
      cooldownMs: config.CIRCUIT_COOLDOWN_SECONDS * 1000,
    }),
  });
}

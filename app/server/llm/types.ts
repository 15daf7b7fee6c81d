/** One message of a chat prompt, in the OpenAI chat format. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What a provider streams: text as it arrives, and the token usage once the model reports it. */
export type ChatEvent =
  | { type: 'token'; text: string }
  | { type: 'usage'; inputTokens: number; outputTokens: number };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** Aborts the call (the client went away). */
  signal?: AbortSignal;
  /**
   * Longest wait, in milliseconds, for the first token and then between two tokens. A model that stays silent
   * longer is treated as timed out.
   */
  timeoutMs: number;
}

/**
 * A source of streamed chat answers. Implementations throw {@link ModelCallError} (from `./errors.js`) for every
 * failure so the fallback chain can decide what to do without knowing the provider.
 */
export interface ChatProvider {
  readonly name: string;
  stream(req: ChatRequest): AsyncIterable<ChatEvent>;
}

/** Token counts of one model call. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

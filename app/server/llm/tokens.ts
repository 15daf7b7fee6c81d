/**
 * Token counting on the o200k encoding, the one gpt-4o and gpt-4o-mini count with, so that estimates agree with
 * what OpenAI would have billed.
 */
import { countTokens as countO200k, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from './types.js';

export function countTokens(text: string): number {
  return text ? countO200k(text) : 0;
}

/**
 * Prompt tokens of a chat request as OpenAI counts them: 3 per message plus its role and content, and 3 that
 * prime the reply. Used when a stream ends without its usage chunk.
 */
export function countChatPromptTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const m of messages) total += 3 + countTokens(m.role) + countTokens(m.content);
  return total;
}

/** The text cut to at most `maxTokens` tokens (unchanged when it already fits). */
export function truncateToTokens(text: string, maxTokens: number): string {
  const tokens = encode(text);
  return tokens.length <= maxTokens ? text : decode(tokens.slice(0, maxTokens));
}

import { dot, LocalHashingEmbedder } from '../embeddings/local-hashing-embedder.js';
import { parseNumberedContext, withoutContext } from './context-format.js';
import { ModelCallError } from './errors.js';
import { countChatPromptTokens, countTokens } from './tokens.js';
import type { ChatEvent, ChatMessage, ChatProvider, ChatRequest } from './types.js';

/** Name of the offline model in CHAT_MODELS and in the ledger. */
export const LOCAL_MODEL = 'local';

const ARABIC_SCRIPT = /[\u0600-\u06ff]/;
// Sentence ends in English and Persian (؟ is the Persian question mark, ۔ the Urdu/Persian full stop).
const SENTENCE_END = /(?<=[.!?؟۔])\s+|\n+/u;

export interface LocalChatProviderOptions {
  /** Most sentences quoted in one answer. @default 4 */
  maxSentences?: number;
  /** Least similarity to the question for a sentence to be quoted. @default 0.08 */
  minSimilarity?: number;
}

/**
 * An offline "model": answers by quoting the sentences of the retrieved context most similar to the question,
 * each followed by the `[n]` of the chunk it came from, streamed word by word. It invents nothing, so when the
 * context is empty or nothing in it resembles the question it says so. Similarity is lexical (the hashing
 * embedder), which is the honest limit of an answer built without a language model.
 */
export class LocalChatProvider implements ChatProvider {
  readonly name = LOCAL_MODEL;
  private readonly embedder = new LocalHashingEmbedder(1024);
  private readonly maxSentences: number;
  private readonly minSimilarity: number;

  constructor(options: LocalChatProviderOptions = {}) {
    this.maxSentences = options.maxSentences ?? 4;
    this.minSimilarity = options.minSimilarity ?? 0.08;
  }

  async *stream(req: ChatRequest): AsyncIterable<ChatEvent> {
    const answer = this.answer(req.messages);
    for (const piece of answer.match(/\s*\S+/g) ?? []) {
      if (req.signal?.aborted) throw new ModelCallError(LOCAL_MODEL, 'aborted', 'The answer was cancelled');
      yield { type: 'token', text: piece };
    }
    yield {
      type: 'usage',
      inputTokens: countChatPromptTokens(req.messages),
      outputTokens: countTokens(answer),
    };
  }

  /** The whole answer for a prompt (exposed for tests and for non-streaming callers). */
  answer(messages: readonly ChatMessage[]): string {
    const lastUser = [...messages].reverse().find((m) => m.role === 'user');
    const question = withoutContext(lastUser?.content ?? '');
    const persian = ARABIC_SCRIPT.test(question);
    const chunks = messages.flatMap((m) => parseNumberedContext(m.content));
    const q = this.embedder.embedOne(question);
    const ranked = chunks
      .flatMap((chunk, order) =>
        chunk.text
          .split(SENTENCE_END)
          // A document's own list item ("- Install it") is quoted without its marker: the answer's list adds one.
          .map((s) => s.trim().replace(/^(?:[-*+]|\d{1,3}[.)])\s+/, ''))
          // A heading line ("Backups") is context, not an answer: quote sentences of three words or more.
          .filter((s) => /[\p{L}\p{N}]/u.test(s) && s.split(/\s+/).length >= 3)
          .map((sentence, position) => ({
            sentence,
            n: chunk.n,
            order,
            position,
            score: dot(q, this.embedder.embedOne(sentence)),
          })),
      )
      .filter((s) => s.score >= this.minSimilarity)
      .sort((a, b) => b.score - a.score || a.order - b.order || a.position - b.position);
    const seen = new Set<string>();
    const picked = ranked
      .filter((s) => !seen.has(s.sentence) && seen.add(s.sentence))
      .slice(0, this.maxSentences);
    if (picked.length === 0) {
      return persian
        ? 'در اسناد شما چیزی مرتبط با این پرسش پیدا نکردم.'
        : 'I could not find anything about this in your documents.';
    }
    // Quoted in document order, so the answer reads like the source rather than a shuffled list.
    picked.sort((a, b) => a.order - b.order || a.position - b.position);
    const intro = persian ? 'بر پایه‌ی اسناد شما:' : 'From your documents:';
    return `${intro}\n\n${picked.map((s) => `- ${s.sentence} [${s.n}]`).join('\n')}`;
  }
}

import { formatNumberedContext } from '../llm/context-format.js';
import { countTokens } from '../llm/tokens.js';
import type { ChatMessage } from '../llm/types.js';
import type { RetrievedChunk } from '../rag/retrieval.js';

export const SYSTEM_PROMPT = [
  "You are DocuChat, an assistant that answers questions about the documents of the user's team.",
  'Answer only from the numbered passages in <context>. After every statement, cite the passages it comes from',
  'as [n]. If the passages do not contain the answer, say that you could not find it in the documents; never',
  'invent facts. Answer in the language of the question (Persian or English), concisely, in Markdown.',
].join(' ');

export function sourceLabel(chunk: RetrievedChunk): string {
  const page =
    chunk.pageStart && chunk.pageEnd && chunk.pageEnd !== chunk.pageStart
      ? `pp. ${chunk.pageStart}–${chunk.pageEnd}`
      : chunk.pageStart
        ? `p. ${chunk.pageStart}`
        : '';
  return [chunk.documentName, chunk.headingPath.join(' › '), page].filter(Boolean).join(', ');
}

/**
 * System instruction, then as much recent history as fits the token budget (newest kept first), then the
 * numbered passages and the question.
 */
export function buildPrompt(
  question: string,
  chunks: readonly RetrievedChunk[],
  history: ReadonlyArray<{ role: 'user' | 'assistant'; content: string }>,
  historyTokenBudget: number,
): ChatMessage[] {
  const kept: ChatMessage[] = [];
  let used = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i]!;
    const cost = countTokens(m.content) + 4;
    if (used + cost > historyTokenBudget) break;
    used += cost;
    kept.unshift({ role: m.role, content: m.content });
  }
  const context = formatNumberedContext(
    chunks.map((c, i) => ({ n: i + 1, source: sourceLabel(c), text: c.content })),
  );
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    ...kept,
    { role: 'user', content: `${context}\n\n${question}` },
  ];
}

const ARABIC_SCRIPT = /[\u0600-\u06ff]/;

/** What the user reads when nothing in their documents is relevant: no model is asked, so nothing is invented. */
export function nothingFoundAnswer(question: string): string {
  return ARABIC_SCRIPT.test(question)
    ? 'در اسناد شما چیزی درباره‌ی این پرسش پیدا نکردم. سندی مرتبط بارگذاری کنید یا پرسش را با واژه‌های دیگری بپرسید.'
    : 'I could not find anything about this in your documents. Upload a relevant document or rephrase the question.';
}

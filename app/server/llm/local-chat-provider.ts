import stem from 'wink-porter2-stemmer';
import { normalizeForMatching } from '../embeddings/normalize-text.js';
import { parseNumberedContext, withoutContext } from './context-format.js';
import { ModelCallError } from './errors.js';
import { countChatPromptTokens, countTokens } from './tokens.js';
import type { ChatEvent, ChatMessage, ChatProvider, ChatRequest } from './types.js';

/** Name of the offline model in CHAT_MODELS and in the ledger. */
export const LOCAL_MODEL = 'local';

const ARABIC_SCRIPT = /[\u0600-\u06ff]/;
// Sentence ends in English and Persian (؟ is the Persian question mark, ۔ the Urdu/Persian full stop).
const SENTENCE_END = /(?<=[.!?؟۔])\s+/u;
// A line that starts a unit of its own inside a paragraph: a list item, a table row, a quote.
const LINE_START = /^\s*(?:[-*+]\s|\d+[.)]\s|\|)/;
// A unit that only leads into what follows ("Insert a vector", "To install:", a FAQ's question): the answer
// quotes the next unit of its passage with it.
const LEAD_IN = /(?:[:?؟]|[^.!;)\]`'"»”])$/u;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Okapi BM25 at sentence level (the usual k1, b; sentences are short, so length matters less than for chunks). */
const K1 = 1.2;
const B = 0.5;
/** A sentence's chunk headings and document name count at this weight beside its own words. */
const CONTEXT_WEIGHT = 0.5;
/** Share of the previous sentence's score a sentence inherits: the subject is often named just before. */
const CARRY = 0.4;
/** Weight of the user's earlier messages' words, as retrieval weighs them (a follow-up's subject). */
const HISTORY_WEIGHT = 0.4;
/** Least share of the question's idf a sentence must cover (with its headings) to count as an answer. */
export const MIN_COVERAGE = 0.3;
/** Other sentences must score this share of the best one, and come from a document that does too. */
const SUPPORT_SHARE = 0.5;
const STRONG_DOCUMENT_SHARE = 0.6;

// Words too common to tell sentences apart (English and Persian), dropped before scoring.
const STOP_WORDS = new Set(
  (
    'a an the and or of to in on at by for from with as is are was were be been being it its this that these ' +
    'those what which who whom how why when where does do did done can could would should will shall may might ' +
    'there here them they their you your our we i me my he she his her not no yes if then than so into about ' +
    'have has had get gets set also use used using any all some more most such only other just one two there ' +
    'است این آن که را از به با در برای چه چی چیست کدام چگونه چطور یک هم تا اما یا هر می نمی شود بود های ها ' +
    'چند آیا و ما شما من او ای اگر کجا کی چرا باید دارد دارند داریم میشود میشوند است؟'
  ).split(' '),
);

const HOW_TO =
  /\b(how (do|can|should|would|to)|how\b.*\b(install|configure|set|enable|disable|register|create|build|run|start|use|add|insert|write|make)|command|example|syntax)\b|چگونه|چطور|نصب|دستور/iu;

interface Unit {
  text: string;
  n: number;
  document: string;
  order: number;
  position: number;
  code: boolean;
  terms: string[];
  context: Set<string>;
}

/** Normalised, stemmed words of a text without stop words (the same folding as the local embedder). */
export function answerTerms(text: string): string[] {
  const out: string[] = [];
  for (const word of normalizeForMatching(text).match(/[\p{L}\p{N}][\p{L}\p{N}\p{M}_]*/gu) ?? []) {
    if (STOP_WORDS.has(word) || (word.length < 2 && !/\d/.test(word))) continue;
    out.push(/^[a-z]/.test(word) ? stem(word) : ARABIC_SCRIPT.test(word) ? persianStem(word) : word);
  }
  return out;
}

// Plural, comparative and ezafe/indefinite endings of Persian words (ZWNJ already folded away: "کتاب‌ها" is
// "کتابها" here). Light on purpose: only for ranking sentences, where "ساعتی" should meet "ساعت".
const PERSIAN_SUFFIX = /(?:هایی|های|ها|ترین|تر|ان|ی)$/u;
const persianStem = (word: string) => (word.length > 4 ? word.replace(PERSIAN_SUFFIX, '') : word);

/** A line of a fenced block that reads as prose (a CLI's help text) rather than code. */
const looksLikeProse = (line: string) =>
  !/[{}();=<>$]|^\s*(npm|npx|yarn|pnpm|deno|const|let|var|import|await|\/\/|#)\b/.test(line) &&
  /[\p{L}]{3,}.*[.:]$/u.test(line.trim());

function units(chunk: { n: number; source?: string; text: string }, order: number): Unit[] {
  const document = (chunk.source ?? `[${chunk.n}]`).split(', ')[0]!;
  const context = new Set(answerTerms((chunk.source ?? '').replace(/\.[a-z]+\b/gi, ' ')));
  const out: Unit[] = [];
  const push = (text: string, code: boolean) => {
    // A document's own list item ("- Install it") is quoted without its marker: the answer's list adds one.
    const trimmed = code ? text.trim() : text.trim().replace(/^(?:[-*+]|\d{1,3}[.)])\s+/, '');
    if (!/[\p{L}\p{N}]/u.test(trimmed)) return;
    // A heading line ("Backups") is context, not an answer: prose needs three words or more.
    if (!code && trimmed.split(/\s+/).length < 3) return;
    out.push({
      text: trimmed,
      n: chunk.n,
      document,
      order,
      position: out.length,
      code,
      terms: answerTerms(trimmed),
      context,
    });
  };
  let fence: string | undefined;
  let prose: string[] = [];
  // Hard-wrapped lines of a paragraph are one text; a blank line, a list item or a table row starts another.
  const flushProse = () => {
    const paragraphs: string[] = [];
    let current = '';
    for (const line of prose) {
      if (line.trim() === '' || LINE_START.test(line)) {
        if (current) paragraphs.push(current);
        current = line.trim();
      } else current = current ? `${current} ${line.trim()}` : line.trim();
    }
    if (current) paragraphs.push(current);
    for (const paragraph of paragraphs)
      for (const sentence of paragraph.split(SENTENCE_END)) push(sentence, false);
    prose = [];
  };
  for (const raw of chunk.text.split('\n')) {
    // Block quotes read as their text (a quoted note's wrapped lines join as one paragraph).
    const line = raw.replace(/^\s*>\s?/, '');
    const marker = FENCE.exec(line);
    if (fence !== undefined) {
      if (marker && marker[1]![0] === fence[0]) fence = undefined;
      else if (looksLikeProse(line)) push(line, false);
      else push(line, true);
    } else if (marker) {
      flushProse();
      fence = marker[1]!;
    } else prose.push(line);
  }
  flushProse();
  return out;
}

export interface LocalChatProviderOptions {
  /** Most sentences quoted in one answer. @default 4 */
  maxSentences?: number;
}

/**
 * An offline "model": answers by quoting the sentences of the retrieved passages that best answer the question,
 * each followed by the `[n]` of the passage it came from, streamed word by word. It invents nothing.
 *
 * Sentences (and, when the question asks how to do something, code lines) are ranked by Okapi BM25 over the
 * passages' sentences, with Porter2 stems like the index's English Snowball ones, the passage's headings as weak
 * context, and a bonus when the question's words stand close together. The answer leads with the best sentence;
 * others follow only when nearly as good and from a document that is also strong. When no sentence covers enough
 * of the question, it says the passages do not answer it.
 */
export class LocalChatProvider implements ChatProvider {
  readonly name = LOCAL_MODEL;
  private readonly maxSentences: number;

  constructor(options: LocalChatProviderOptions = {}) {
    this.maxSentences = options.maxSentences ?? 4;
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
    const users = messages.filter((m) => m.role === 'user');
    const question = withoutContext(users.at(-1)?.content ?? '');
    const persian = ARABIC_SCRIPT.test(question);
    const chunks = messages.flatMap((m) => parseNumberedContext(m.content));
    const nothing = persian
      ? 'در اسناد شما چیزی مرتبط با این پرسش پیدا نکردم.'
      : 'I could not find anything about this in your documents.';
    const notAnswered = persian
      ? 'متن‌هایی که پیدا کردم به این پرسش پاسخ نمی‌دهند.'
      : 'The passages I found do not answer this question.';
    if (chunks.length === 0) return nothing;

    const howTo = HOW_TO.test(question);
    const all = chunks.flatMap((chunk, order) => units(chunk, order)).filter((u) => howTo || !u.code);
    if (all.length === 0) return notAnswered;
    const weights = new Map<string, number>();
    for (const t of answerTerms(question)) weights.set(t, 1);
    for (const earlier of users.slice(0, -1).slice(-2))
      for (const t of answerTerms(withoutContext(earlier.content)))
        if (!weights.has(t)) weights.set(t, HISTORY_WEIGHT);
    if (weights.size === 0) return notAnswered;

    const df = new Map<string, number>();
    for (const u of all) for (const t of new Set(u.terms)) df.set(t, (df.get(t) ?? 0) + 1);
    const n = all.length;
    const idf = (t: string) => Math.log(1 + (n - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5));
    const avgLength = all.reduce((s, u) => s + u.terms.length, 0) / n || 1;
    // The question's share each sentence covers; a word no passage holds counts at half (often phrasing).
    let mass = 0;
    for (const [t, w] of weights) mass += w * (df.has(t) ? idf(t) : idf(t) / 2);

    const scored = all.map((u) => {
      const tf = new Map<string, number>();
      for (const t of u.terms) tf.set(t, (tf.get(t) ?? 0) + 1);
      let score = 0;
      let covered = 0;
      for (const [t, w] of weights) {
        const f = tf.get(t) ?? 0;
        if (f > 0) {
          score += w * idf(t) * ((f * (K1 + 1)) / (f + K1 * (1 - B + (B * u.terms.length) / avgLength)));
          covered += w * idf(t);
        } else if (u.context.has(t)) {
          score += CONTEXT_WEIGHT * w * idf(t);
          covered += CONTEXT_WEIGHT * w * idf(t);
        }
      }
      // Proximity: the question's words close together in the sentence (smallest window holding them all).
      const positions = u.terms.map((t, i) => (weights.get(t) === 1 ? i : -1)).filter((i) => i >= 0);
      const distinct = new Set(positions.map((i) => u.terms[i]));
      if (distinct.size > 1)
        score *= 1 + 0.3 * ((distinct.size - 1) / Math.max(1, window(u.terms, distinct) - 1));
      // The retrieval's order is evidence too: a slight preference for the first passages.
      score *= 1 / (1 + 0.08 * u.order);
      return { unit: u, score, coverage: mass > 0 ? covered / mass : 0 };
    });
    for (let i = scored.length - 1; i > 0; i--) {
      const here = scored[i]!;
      const before = scored[i - 1]!;
      if (before.unit.order === here.unit.order) {
        here.score += CARRY * before.score;
        here.coverage = Math.max(here.coverage, before.coverage);
      }
    }
    const next = new Map(
      scored.map((s, i) => [
        s.unit,
        scored[i + 1]?.unit.order === s.unit.order ? scored[i + 1]!.unit : undefined,
      ]),
    );
    scored.sort(
      (a, b) => b.score - a.score || a.unit.order - b.unit.order || a.unit.position - b.unit.position,
    );
    const best = scored[0]!;
    if (best.score <= 0 || best.coverage < MIN_COVERAGE) return notAnswered;

    const documentBest = new Map<string, number>();
    for (const s of scored)
      if (!documentBest.has(s.unit.document)) documentBest.set(s.unit.document, s.score);
    const seen = new Set<string>([best.unit.text]);
    const support = scored
      .slice(1)
      .filter(
        (s) =>
          s.score >= SUPPORT_SHARE * best.score &&
          s.coverage >= MIN_COVERAGE &&
          documentBest.get(s.unit.document)! >= STRONG_DOCUMENT_SHARE * best.score &&
          !seen.has(s.unit.text) &&
          seen.add(s.unit.text),
      )
      .slice(0, this.maxSentences - 1)
      // Read in the order of the sources, so supporting lines follow the text rather than a shuffled list.
      .sort((a, b) => a.unit.order - b.unit.order || a.unit.position - b.unit.position);
    const text = (u: Unit) => (u.code ? `\`${u.text.replaceAll('`', "'")}\`` : u.text);
    const follow = next.get(best.unit);
    const lead =
      LEAD_IN.test(best.unit.text) && follow && !seen.has(follow.text)
        ? `${text(best.unit)} ${text(follow)} [${best.unit.n}]`
        : `${text(best.unit)} [${best.unit.n}]`;
    return [
      lead,
      ...(support.length ? ['', ...support.map((s) => `- ${text(s.unit)} [${s.unit.n}]`)] : []),
    ].join('\n');
  }
}

/** Length of the smallest window of `terms` holding every word of `wanted`. */
function window(terms: readonly string[], wanted: ReadonlySet<string | undefined>): number {
  const counts = new Map<string, number>();
  let have = 0;
  let best = terms.length;
  let left = 0;
  for (let right = 0; right < terms.length; right++) {
    const t = terms[right]!;
    if (wanted.has(t)) {
      counts.set(t, (counts.get(t) ?? 0) + 1);
      if (counts.get(t) === 1) have++;
    }
    while (have === wanted.size && left <= right) {
      best = Math.min(best, right - left + 1);
      const l = terms[left]!;
      if (wanted.has(l)) {
        counts.set(l, counts.get(l)! - 1);
        if (counts.get(l) === 0) have--;
      }
      left++;
    }
  }
  return best;
}

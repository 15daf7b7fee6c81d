/**
 * Which part of a cited passage an answer relied on. An answer cites its statements with `[n]`; the passage
 * behind `[n]` holds the sentence each statement was taken from. A statement quoted word for word (what the
 * offline provider does) is found exactly; a paraphrase (a language model's) marks the passage's sentence that
 * shares most of its words, if it shares at least half of them.
 */

const MARKER = /\[(\d{1,3})\]/g;
const SENTENCE_END = /(?<=[.!?؟۔])\s+/u;
/** A passage's sentences also end at line breaks (list items, table rows). */
const PASSAGE_SENTENCE_END = /(?<=[.!?؟۔])\s+|\n+/u;
const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;
/** Least share of a statement's words a passage sentence must have to be called its source. */
const MIN_OVERLAP = 0.5;

/** The statements of an answer that cite `[n]`, without their markers and Markdown. */
export function statementsCiting(answer: string, n: number): string[] {
  const statements: string[] = [];
  for (const line of answer.split('\n')) {
    const pieces: string[] = [];
    for (const piece of line.split(SENTENCE_END)) {
      // "A sentence. [1]": the marker after the full stop belongs to the sentence before it.
      if (piece.replace(MARKER, '').trim() === '' && pieces.length > 0)
        pieces[pieces.length - 1] += ` ${piece}`;
      else pieces.push(piece);
    }
    for (const piece of pieces) {
      const cited = [...piece.matchAll(MARKER)].some((m) => Number(m[1]) === n);
      if (!cited) continue;
      const text = piece
        .replace(MARKER, ' ')
        .replace(/^\s*(?:[-*+]|\d+[.)]|#{1,6}|>)\s+/, '')
        .replace(/[*_`]/g, '')
        .trim()
        .replace(/[\s.,;:!?؟،؛]+$/u, '');
      if (text) statements.push(text);
    }
  }
  return statements;
}

/** The text folded for comparison (lower case, no emphasis marks or ZWNJ, single spaces), with each character's origin. */
function fold(text: string): { folded: string; origin: number[] } {
  let folded = '';
  const origin: number[] = [];
  let space = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '*' || ch === '_' || ch === '`' || ch === '\u200c') continue;
    if (/\s/.test(ch)) {
      space = folded.length > 0;
      continue;
    }
    if (space) {
      folded += ' ';
      origin.push(i);
      space = false;
    }
    const lower = ch.toLowerCase();
    folded += lower;
    for (let k = 0; k < lower.length; k++) origin.push(i);
  }
  return { folded, origin };
}

const words = (text: string) => new Set(fold(text).folded.match(WORD) ?? []);

/** Ranges `[start, end)` of `passage` that the statements citing it were taken from, in passage order. */
export function quotedRanges(passage: string, statements: readonly string[]): Array<[number, number]> {
  const { folded, origin } = fold(passage);
  const ranges: Array<[number, number]> = [];
  for (const statement of statements) {
    const wanted = fold(statement).folded;
    if (wanted.length < 8) continue;
    const at = folded.indexOf(wanted);
    if (at >= 0) {
      ranges.push([origin[at]!, origin[at + wanted.length - 1]! + 1]);
      continue;
    }
    const statementWords = words(statement);
    if (statementWords.size < 3) continue;
    let best: { score: number; range: [number, number] } | undefined;
    let offset = 0;
    for (const sentence of passage.split(PASSAGE_SENTENCE_END)) {
      const start = passage.indexOf(sentence, offset);
      offset = start + sentence.length;
      const own = words(sentence);
      let common = 0;
      for (const w of statementWords) if (own.has(w)) common++;
      const score = common / statementWords.size;
      if (score >= MIN_OVERLAP && (!best || score > best.score)) best = { score, range: [start, offset] };
    }
    if (best) ranges.push(best.range);
  }
  return ranges.sort((a, b) => a[0] - b[0]);
}

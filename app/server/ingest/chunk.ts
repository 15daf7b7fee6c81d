/**
 * Token-aware chunking for retrieval. Sizes are counted with gpt-tokenizer's o200k encoding (what gpt-4o and
 * text-embedding-3 count), so "512 tokens" means 512 tokens to the model, for Persian as for English.
 *
 * - A chunk never mixes sections: a new heading path starts a new chunk, so a citation's heading path is true.
 *   Nor does it cross a page break, so a citation names the one page its text is on.
 * - Within a section, whole sentences are packed; a chunk prefers to end where a paragraph ends (when at least
 *   half full there), and only a sentence longer than a chunk is cut, at word boundaries, or at token
 *   boundaries that do not split a character when a single "word" is that long.
 * - Consecutive chunks of one section share up to `overlapTokens` of trailing text (whole sentences when they
 *   fit, else the last words), so a fact cut at a boundary is still retrievable whole.
 * - Sentence token counts are computed once and added up; each finished chunk is counted exactly once more,
 *   and trimmed if the sum was off by a merge at a boundary. `tokens` is that exact count, never over the limit.
 * - Linear in the document's size whatever its shape. Byte-pair encoding is quadratic in the length of one
 *   pre-token (one run of letters, of punctuation or of spaces: 40,000 `b`s took 1.6 s), so the tokenizer only
 *   ever sees text whose non-space runs are at most {@link MAX_RUN_CHARS} characters and whose space runs are
 *   at most {@link MAX_SPACE_RUN} characters. A longer non-space run (encoded data, not words) is cut into
 *   pieces of that size, and each piece is a chunk of its own, so no chunk joins the pieces again. Sentence
 *   ends are found by one scan, not by a look-behind that re-reads a run of quotes at every position.
 */
import { countTokens, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';
import type { ParsedDocument } from './document.js';

export interface Chunk {
  /** 0-based position in the document. */
  ordinal: number;
  content: string;
  /** Exact o200k token count of `content`. */
  tokens: number;
  pageStart: number;
  pageEnd: number;
  headingPath: string[];
}

export interface ChunkOptions {
  /** Upper bound for every chunk. @default 512 */
  chunkTokens?: number;
  /** Trailing text of a chunk repeated at the start of the next one in the same section. @default 64 */
  overlapTokens?: number;
}

export const DEFAULT_CHUNK_TOKENS = 512;
export const DEFAULT_OVERLAP_TOKENS = 64;

/** Longest run of non-space characters the tokenizer is given; longer runs are cut into pieces this long. */
export const MAX_RUN_CHARS = 1000;
/** Longest run of spaces kept inside a chunk (a longer one becomes one space, or one line break). */
export const MAX_SPACE_RUN = 64;

interface Segment {
  /** As it appears after the previous segment of the same block (leading whitespace included). */
  text: string;
  /** Tokens it adds to a chunk, including the paragraph break before it when it starts a block. */
  tokens: number;
  page: number;
  startsBlock: boolean;
  /** A piece of a run longer than MAX_RUN_CHARS: it makes a chunk alone, with no overlap on either side. */
  isolated?: boolean;
}

interface Section {
  headingPath: string[];
  segments: Segment[];
}

const PARAGRAPH_BREAK = '\n\n';
// Sentence ends: Latin and Persian/Arabic punctuation (؟ question mark, ؛ semicolon, ۔ full stop), optionally
// followed by closing quotes or brackets, then whitespace. Line breaks inside a block are boundaries too.
const SENTENCE_END = new Set('.!?؟؛۔…');
const CLOSERS = new Set('"\'»”’)]');
const WORD = /\s*\S+/gu;
const SPACE_CHAR = /\s/u;
const LONG_SPACE_RUN = new RegExp(`\\s{${MAX_SPACE_RUN + 1},}`, 'gu');

export function chunkDocument(parsed: ParsedDocument, options: ChunkOptions = {}): Chunk[] {
  const limit = options.chunkTokens ?? DEFAULT_CHUNK_TOKENS;
  const overlap = options.overlapTokens ?? DEFAULT_OVERLAP_TOKENS;
  if (!Number.isInteger(limit) || limit < 8)
    throw new RangeError(`chunkTokens must be an integer >= 8, got ${limit}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= limit / 2) {
    throw new RangeError(
      `overlapTokens must be an integer from 0 to less than half of chunkTokens, got ${overlap}`,
    );
  }
  const chunks: Chunk[] = [];
  for (const section of toSections(parsed, limit)) chunkSection(section, limit, overlap, chunks);
  return chunks;
}

function toSections(parsed: ParsedDocument, limit: number): Section[] {
  const sections: Section[] = [];
  let current: Section | undefined;
  let currentKey: string | undefined;
  for (const page of parsed.pages) {
    for (const block of page.blocks) {
      const key = `${page.number}\u241e${block.headingPath.join('\u241f')}`;
      if (!current || key !== currentKey) {
        current = { headingPath: [...block.headingPath], segments: [] };
        currentKey = key;
        sections.push(current);
      }
      for (const segment of blockSegments(block.text, page.number, limit)) current.segments.push(segment);
    }
  }
  return sections.filter((section) => section.segments.length > 0);
}

function blockSegments(text: string, page: number, limit: number): Segment[] {
  const segments: Segment[] = [];
  let pendingWhitespace = '';
  const bounded = text.replace(LONG_SPACE_RUN, (run) => (run.includes('\n') ? '\n' : ' '));
  for (const piece of splitSentences(bounded)) {
    if (piece.trim() === '') {
      pendingWhitespace = boundSpace(pendingWhitespace + piece);
      continue;
    }
    const sentence = segments.length === 0 ? piece.trimStart() : pendingWhitespace + piece;
    pendingWhitespace = '';
    for (const stretch of cutLongRuns(sentence)) {
      const parts = stretch.isolated
        ? splitByTokens(stretch.text, limit)
        : splitLongText(stretch.text, limit);
      for (const part of parts) {
        const startsBlock = segments.length === 0;
        segments.push({
          text: part,
          page,
          startsBlock,
          tokens: countTokens(part) + (startsBlock ? 1 : 0),
          ...(stretch.isolated && { isolated: true }),
        });
      }
    }
  }
  return segments;
}

function boundSpace(space: string): string {
  return space.length <= MAX_SPACE_RUN ? space : space.includes('\n') ? '\n' : ' ';
}

/**
 * What `text.split(/(?<=[.!?؟؛۔…]["'»”’)\]]*)(?=\s)|(?=\n)/u)` gives, in one pass: the look-behind re-read a
 * run of closing quotes at each of its positions (quadratic in the run).
 */
export function splitSentences(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let afterEnd = false;
  for (let p = 0; p < text.length; p++) {
    const c = text[p]!;
    const space = isSpace(c);
    if (p > start && ((space && afterEnd) || c === '\n')) {
      pieces.push(text.slice(start, p));
      start = p;
    }
    if (SENTENCE_END.has(c)) afterEnd = true;
    else if (!CLOSERS.has(c)) afterEnd = false;
  }
  pieces.push(text.slice(start));
  return pieces;
}

interface Stretch {
  text: string;
  isolated: boolean;
}

/**
 * The sentence as stretches whose non-space runs are at most MAX_RUN_CHARS long, and the pieces (isolated) of
 * any longer run, cut between code points. One scan.
 */
function cutLongRuns(sentence: string): Stretch[] {
  const out: Stretch[] = [];
  let normalFrom = 0;
  let runStart = -1;
  const flushRun = (end: number) => {
    if (runStart >= 0 && end - runStart > MAX_RUN_CHARS) {
      if (runStart > normalFrom) out.push({ text: sentence.slice(normalFrom, runStart), isolated: false });
      for (let at = runStart; at < end; ) {
        let to = Math.min(at + MAX_RUN_CHARS, end);
        // Not between the two halves of a surrogate pair.
        if (to < end && isLowSurrogate(sentence.charCodeAt(to))) to--;
        out.push({ text: sentence.slice(at, to), isolated: true });
        at = to;
      }
      normalFrom = end;
    }
    runStart = -1;
  };
  for (let p = 0; p < sentence.length; p++) {
    const c = sentence[p]!;
    if (isSpace(c)) flushRun(p);
    else if (runStart < 0) runStart = p;
  }
  flushRun(sentence.length);
  if (normalFrom < sentence.length) out.push({ text: sentence.slice(normalFrom), isolated: false });
  return out;
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** `/\s/u.test(c)` for one UTF-16 unit, without the regular expression for ASCII. */
function isSpace(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code < 0x80) return code === 32 || (code >= 9 && code <= 13);
  return SPACE_CHAR.test(c);
}

/**
 * Pieces of at most `limit` tokens: the text itself when it fits, else runs of whole words, else token runs.
 * Word counts are added up (one encoding per word); each finished run is counted exactly and gives words back
 * to the next run when a merge across a word boundary made the sum too small.
 */
function splitLongText(text: string, limit: number): string[] {
  if (countTokens(text) <= limit) return [text];
  const pieces: string[] = [];
  let words: string[] = [];
  let wordsTokens = 0;
  let emitted: string[] = [];
  const emit = () => {
    while (words.length > 1 && countTokens(words.join('')) > limit) {
      const last = words.pop()!;
      emitted.unshift(last);
    }
    if (words.length > 0) pieces.push(words.join(''));
    words = emitted;
    wordsTokens = words.reduce((sum, word) => sum + countTokens(word), 0);
    emitted = [];
  };
  for (const word of text.match(WORD) ?? []) {
    const wordTokens = countTokens(word);
    if (wordTokens > limit) {
      while (words.length > 0) emit();
      pieces.push(...splitByTokens(word, limit));
      continue;
    }
    if (wordsTokens + wordTokens > limit) emit();
    words.push(word);
    wordsTokens += wordTokens;
  }
  while (words.length > 0) emit();
  return pieces;
}

/** Cuts at token boundaries, moving a cut back until it does not fall inside a multi-byte character. */
function splitByTokens(text: string, limit: number): string[] {
  const tokens = encode(text);
  const original = text.includes('\ufffd');
  const pieces: string[] = [];
  let start = 0;
  while (start < tokens.length) {
    let end = Math.min(start + limit, tokens.length);
    let piece = decode(tokens.slice(start, end));
    while (!original && end > start + 1 && piece.includes('\ufffd')) {
      end--;
      piece = decode(tokens.slice(start, end));
    }
    pieces.push(piece);
    start = end;
  }
  return pieces;
}

function chunkSection(section: Section, limit: number, overlapTokens: number, out: Chunk[]): void {
  const segments = section.segments;
  let carried: Segment[] = [];
  let i = 0;
  while (i < segments.length) {
    if (segments[i]!.isolated) {
      const segment = segments[i]!;
      const content = segment.text.trim();
      if (content !== '') {
        out.push({
          ordinal: out.length,
          content,
          tokens: countTokens(content),
          pageStart: segment.page,
          pageEnd: segment.page,
          headingPath: [...section.headingPath],
        });
      }
      carried = [];
      i++;
      continue;
    }
    // The overlap yields to new text: drop carried sentences until the next new one fits beside them.
    while (carried.length > 0 && sum(carried) + segments[i]!.tokens > limit) carried = carried.slice(1);
    let used = sum(carried);
    let j = i;
    while (j < segments.length && !segments[j]!.isolated && used + segments[j]!.tokens <= limit)
      used += segments[j++]!.tokens;
    if (j === i) j = i + 1;
    if (j < segments.length) j = preferParagraphEnd(segments, i, j, used, limit);

    let content = render(carried, segments, i, j);
    let tokens = countTokens(content);
    while (tokens > limit && (carried.length > 0 || j - i > 1)) {
      if (carried.length > 0) carried = carried.slice(1);
      else j--;
      content = render(carried, segments, i, j);
      tokens = countTokens(content);
    }
    if (tokens > limit) {
      // One segment that is over the limit only once joined: cut it smaller and try again.
      const smaller = splitLongText(segments[i]!.text, Math.max(1, Math.floor(limit * 0.9)));
      const replaced = smaller.map((text, k) => ({
        text,
        page: segments[i]!.page,
        startsBlock: k === 0 && segments[i]!.startsBlock,
        tokens: countTokens(text) + (k === 0 && segments[i]!.startsBlock ? 1 : 0),
      }));
      segments.splice(i, 1, ...replaced);
      continue;
    }
    const included = [...carried, ...segments.slice(i, j)];
    out.push({
      ordinal: out.length,
      content,
      tokens,
      pageStart: Math.min(...included.map((segment) => segment.page)),
      pageEnd: Math.max(...included.map((segment) => segment.page)),
      headingPath: [...section.headingPath],
    });
    carried = overlapTokens > 0 ? tail(included, overlapTokens) : [];
    i = j;
  }
}

/** Moves the end back to the last paragraph start when the chunk would still be at least half full. */
function preferParagraphEnd(segments: Segment[], i: number, j: number, used: number, limit: number): number {
  let before = used;
  for (let k = j - 1; k > i; k--) {
    before -= segments[k]!.tokens;
    if (segments[k]!.startsBlock) return before >= limit / 2 ? k : j;
  }
  return j;
}

function render(carried: Segment[], segments: Segment[], i: number, j: number): string {
  let text = '';
  const append = (segment: Segment) => {
    if (text === '') text = segment.text.trimStart();
    else text += segment.startsBlock ? PARAGRAPH_BREAK + segment.text : segment.text;
  };
  for (const segment of carried) append(segment);
  for (let k = i; k < j; k++) append(segments[k]!);
  return text.trimEnd();
}

/** The trailing whole segments within `budget`, or failing that the last words of the last segment. */
function tail(included: Segment[], budget: number): Segment[] {
  const kept: Segment[] = [];
  let used = 0;
  for (let k = included.length - 1; k >= 0; k--) {
    const segment = included[k]!;
    if (used + segment.tokens > budget) break;
    kept.unshift(segment);
    used += segment.tokens;
  }
  if (kept.length > 0) return kept;
  const last = included[included.length - 1];
  if (!last) return [];
  const words = last.text.match(WORD) ?? [];
  let text = '';
  let tokens = 0;
  for (let k = words.length - 1; k >= 0; k--) {
    const wordTokens = countTokens(words[k]!);
    if (tokens + wordTokens > budget) break;
    text = words[k]! + text;
    tokens += wordTokens;
  }
  return text.trim() === '' ? [] : [{ text, tokens, page: last.page, startsBlock: false }];
}

function sum(segments: Segment[]): number {
  let total = 0;
  for (const segment of segments) total += segment.tokens;
  return total;
}

/**
 * The share of a document's non-space characters that sit in runs longer than MAX_RUN_CHARS: encoded data or
 * junk rather than words. One scan.
 */
export function longRunShare(parsed: ParsedDocument): number {
  let total = 0;
  let long = 0;
  for (const page of parsed.pages) {
    for (const block of page.blocks) {
      const text = block.text;
      let run = 0;
      for (let p = 0; p <= text.length; p++) {
        if (p < text.length && !isSpace(text[p]!)) {
          run++;
          continue;
        }
        total += run;
        if (run > MAX_RUN_CHARS) long += run;
        run = 0;
      }
    }
  }
  return total === 0 ? 0 : long / total;
}

/**
 * Chunking costs work in proportion to the document, whatever its shape. Byte-pair encoding is quadratic in the
 * length of one pre-token, so these tests count what the tokenizer is given (not how long it takes): no input
 * with a non-space run over MAX_RUN_CHARS or a space run over MAX_SPACE_RUN, and a bounded multiple of the
 * document's length in total.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const seen = vi.hoisted(() => ({ inputs: 0, chars: 0, longestRun: 0, longestSpace: 0 }));

vi.mock('gpt-tokenizer/encoding/o200k_base', async (original) => {
  const real = await original<typeof import('gpt-tokenizer/encoding/o200k_base')>();
  const record = (text: string) => {
    seen.inputs++;
    seen.chars += text.length;
    for (const run of text.match(/\S+/gu) ?? []) seen.longestRun = Math.max(seen.longestRun, run.length);
    for (const run of text.match(/\s+/gu) ?? []) seen.longestSpace = Math.max(seen.longestSpace, run.length);
  };
  return {
    ...real,
    countTokens: (text: string) => {
      record(text);
      return real.countTokens(text);
    },
    encode: (text: string) => {
      record(text);
      return real.encode(text);
    },
  };
});

const { chunkDocument, longRunShare, MAX_RUN_CHARS, MAX_SPACE_RUN, splitSentences } = await import(
  './chunk.js'
);

const onePage = (text: string) => ({ pages: [{ number: 1, blocks: [{ text, headingPath: [] }] }] });

beforeEach(() => {
  Object.assign(seen, { inputs: 0, chars: 0, longestRun: 0, longestSpace: 0 });
});

describe('chunking cost', () => {
  const hostile: Array<[string, string]> = [
    ['one 150 KB word', 'b'.repeat(150_000)],
    ['one 1 MB word of Persian letters', 'پ'.repeat(1_000_000)],
    ['a run of 200,000 closing quotes after a full stop', `End.${'"'.repeat(200_000)} next`],
    ['a million spaces between two words', `alpha${' '.repeat(1_000_000)}omega`],
    ['a million line breaks', `alpha${'\n'.repeat(1_000_000)}omega`],
    ['emoji without spaces', '😀'.repeat(100_000)],
    ['a base64 blob inside prose', `Intro sentence. ${'QUJD'.repeat(50_000)} Closing sentence.`],
  ];
  for (const [what, text] of hostile) {
    it(`${what}: the tokenizer sees bounded runs, and about as many characters as the document`, () => {
      const chunks = chunkDocument(onePage(text));
      expect(seen.longestRun).toBeLessThanOrEqual(MAX_RUN_CHARS);
      expect(seen.longestSpace).toBeLessThanOrEqual(MAX_SPACE_RUN);
      expect(seen.chars).toBeLessThanOrEqual(4 * text.length + 10_000);
      for (const chunk of chunks) expect(chunk.tokens).toBeLessThanOrEqual(512);
      // Nothing but space is lost.
      expect(
        chunks
          .map((c) => c.content)
          .join('')
          .replace(/\s/gu, ''),
      ).toBe(text.replace(/\s/gu, ''));
    });
  }

  it('for any text: bounded tokenizer inputs, and work linear in the document', () => {
    const piece = fc.oneof(
      fc.constantFrom('backup', 'کتاب‌ها', '.', '"', '؟', '😀', ' ', '\n', '\n\n', '»'),
      fc.string({ minLength: 1, maxLength: 8 }),
      fc
        .tuple(fc.constantFrom('x', '"', ' ', '.', 'ب', '\n'), fc.integer({ min: 1, max: 3000 }))
        .map(([c, n]) => c.repeat(n)),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 16, max: 512 }),
        (parts, limit) => {
          Object.assign(seen, { inputs: 0, chars: 0, longestRun: 0, longestSpace: 0 });
          const text = parts.join('');
          const chunks = chunkDocument(onePage(text), {
            chunkTokens: limit,
            overlapTokens: Math.floor(limit / 8),
          });
          expect(seen.longestRun).toBeLessThanOrEqual(MAX_RUN_CHARS);
          expect(seen.longestSpace).toBeLessThanOrEqual(MAX_SPACE_RUN);
          // Each character is tokenized a few times (its sentence, its word, its chunk, an overlap), never once
          // per other character.
          expect(seen.chars).toBeLessThanOrEqual(6 * text.length + 50 * limit);
          for (const chunk of chunks) expect(chunk.tokens).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('finds sentence ends as the look-behind expression did', () => {
    const boundary = /(?<=[.!?؟؛۔…]["'»”’)\]]*)(?=\s)|(?=\n)/u;
    const text = fc
      .array(
        fc.constantFrom('a', 'b', ' ', '\n', '.', '!', '؟', '"', '»', ')', ']', '…', '\u00a0', '\t', 'ک'),
        {
          maxLength: 60,
        },
      )
      .map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, (t) => {
        expect(splitSentences(t)).toEqual(t.split(boundary));
      }),
      { numRuns: 2000 },
    );
  });

  it('measures how much of a document is runs too long to be words', () => {
    expect(longRunShare(onePage('b'.repeat(150_000)))).toBe(1);
    expect(longRunShare(onePage('Plain words only.'))).toBe(0);
    const mixed = longRunShare(onePage(`${'word '.repeat(1000)}${'x'.repeat(2000)}`));
    expect(mixed).toBeCloseTo(2000 / 6000, 5);
  });
});

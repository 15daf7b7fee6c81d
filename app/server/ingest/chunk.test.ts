import fc from 'fast-check';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { chunkDocument } from './chunk.js';
import type { ParsedDocument } from './document.js';

const sentence = (i: number) => `Sentence number ${i} explains one small fact about backups and restores.`;
const paragraph = (from: number, count: number) =>
  Array.from({ length: count }, (_, k) => sentence(from + k)).join(' ');

function onePage(blocks: Array<{ text: string; headingPath?: string[] }>): ParsedDocument {
  return {
    pages: [{ number: 1, blocks: blocks.map((b) => ({ text: b.text, headingPath: b.headingPath ?? [] })) }],
  };
}

describe('chunkDocument', () => {
  it('keeps every chunk within the token limit and counts tokens exactly', () => {
    const doc = onePage(Array.from({ length: 30 }, (_, p) => ({ text: paragraph(p * 10, 10) })));
    const chunks = chunkDocument(doc, { chunkTokens: 128, overlapTokens: 16 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) {
      expect(chunk.tokens).toBe(countTokens(chunk.content));
      expect(chunk.tokens).toBeLessThanOrEqual(128);
      expect(chunk.content.trim()).not.toBe('');
    }
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
  });

  it('uses 512-token chunks with 64 tokens of overlap by default', () => {
    const doc = onePage(Array.from({ length: 40 }, (_, p) => ({ text: paragraph(p * 10, 10) })));
    const chunks = chunkDocument(doc);
    expect(Math.max(...chunks.map((c) => c.tokens))).toBeLessThanOrEqual(512);
    expect(Math.max(...chunks.map((c) => c.tokens))).toBeGreaterThan(256);
  });

  it('ends chunks at sentence boundaries and repeats the last sentence of a chunk at the start of the next', () => {
    const doc = onePage([{ text: paragraph(0, 60) }]);
    const chunks = chunkDocument(doc, { chunkTokens: 100, overlapTokens: 20 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.content).toMatch(/^Sentence number \d+/);
      expect(chunk.content).toMatch(/restores\.$/);
      const next = chunks[i + 1];
      if (next) {
        const lastSentence = chunk.content.slice(chunk.content.lastIndexOf('Sentence number'));
        expect(next.content.startsWith(lastSentence)).toBe(true);
      }
    }
  });

  it('prefers to end a chunk where a paragraph ends', () => {
    const doc = onePage([
      { text: paragraph(0, 4) },
      { text: paragraph(100, 4) },
      { text: paragraph(200, 4) },
    ]);
    const chunks = chunkDocument(doc, { chunkTokens: 90, overlapTokens: 0 });
    expect(chunks.map((c) => c.content)).toEqual([paragraph(0, 4), paragraph(100, 4), paragraph(200, 4)]);
  });

  it('splits Persian text at Persian sentence marks', () => {
    const persian = Array.from(
      { length: 40 },
      (_, i) => `جمله‌ی شماره ${i} درباره‌ی پشتیبان‌گیری است؛ آیا درست است؟ بله!`,
    );
    const chunks = chunkDocument(onePage([{ text: persian.join(' ') }]), {
      chunkTokens: 80,
      overlapTokens: 10,
    });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk.tokens).toBeLessThanOrEqual(80);
      expect(chunk.content).toMatch(/[؛؟!]$/u);
      expect(chunk.content).not.toContain('\ufffd');
    }
    expect(chunks.map((c) => c.content).join(' ')).toContain('جمله‌ی شماره 39 درباره‌ی پشتیبان‌گیری');
  });

  it('cuts a sentence longer than a chunk at words, and an endless word without breaking characters', () => {
    const longSentence = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const endlessPersianWord = 'پشتیبان'.repeat(400);
    const chunks = chunkDocument(onePage([{ text: longSentence }, { text: endlessPersianWord }]), {
      chunkTokens: 64,
      overlapTokens: 8,
    });
    for (const chunk of chunks) {
      expect(chunk.tokens).toBeLessThanOrEqual(64);
      expect(chunk.content).not.toContain('\ufffd');
    }
    const words = chunks.flatMap((c) => c.content.split(/\s+/)).filter((w) => w.startsWith('word'));
    expect(new Set(words).size).toBe(400);
    expect(words.every((w) => /^word\d+$/.test(w))).toBe(true);
    const persian = chunks.map((c) => c.content.replace(/[^\u0600-\u06ff]/gu, '')).join('');
    expect(persian.length).toBeGreaterThanOrEqual(endlessPersianWord.length);
  });

  it('never mixes sections and gives each chunk its heading path', () => {
    const doc = onePage([
      { text: 'Backups', headingPath: ['Ops', 'Backups'] },
      { text: paragraph(0, 3), headingPath: ['Ops', 'Backups'] },
      { text: 'Alerts', headingPath: ['Ops', 'Alerts'] },
      { text: paragraph(10, 3), headingPath: ['Ops', 'Alerts'] },
    ]);
    const chunks = chunkDocument(doc, { chunkTokens: 512, overlapTokens: 64 });
    expect(chunks.map((c) => [c.headingPath, c.content.split('\n\n')[0]])).toEqual([
      [['Ops', 'Backups'], 'Backups'],
      [['Ops', 'Alerts'], 'Alerts'],
    ]);
    // No overlap is carried across a heading: the Alerts chunk holds nothing from Backups.
    expect(chunks[1]!.content).not.toContain('Sentence number 2 ');
  });

  it('keeps every chunk on one page, so a citation names the page its text is on', () => {
    const doc: ParsedDocument = {
      pages: [
        { number: 1, blocks: [{ text: paragraph(0, 2), headingPath: [] }] },
        { number: 2, blocks: [{ text: paragraph(2, 2), headingPath: [] }] },
        { number: 3, blocks: [] },
        { number: 4, blocks: [{ text: paragraph(4, 12), headingPath: [] }] },
      ],
    };
    const chunks = chunkDocument(doc, { chunkTokens: 90, overlapTokens: 0 });
    expect(chunks[0]).toMatchObject({ pageStart: 1, pageEnd: 1 });
    expect(chunks[1]).toMatchObject({ pageStart: 2, pageEnd: 2 });
    expect(chunks.at(-1)).toMatchObject({ pageStart: 4, pageEnd: 4 });
    for (const chunk of chunks) {
      expect(chunk.pageStart).toBe(chunk.pageEnd);
      if (chunk.content.includes(sentence(0))) expect(chunk.pageStart).toBe(1);
      if (chunk.content.includes(sentence(2))) expect(chunk.pageStart).toBe(2);
      if (chunk.content.includes(sentence(15))) expect(chunk.pageEnd).toBe(4);
    }
  });

  it('returns no chunks for a document without text, and refuses impossible settings', () => {
    expect(chunkDocument({ pages: [{ number: 1, blocks: [{ text: '  \n ', headingPath: [] }] }] })).toEqual(
      [],
    );
    expect(() => chunkDocument(onePage([{ text: 'x' }]), { chunkTokens: 100, overlapTokens: 60 })).toThrow(
      RangeError,
    );
    expect(() => chunkDocument(onePage([{ text: 'x' }]), { chunkTokens: 0 })).toThrow(RangeError);
  });

  it('for any text: no chunk is empty or over the limit, and no word is lost', () => {
    const word = fc.oneof(
      fc.constantFrom('backup', 'restore', 'کتاب‌ها', 'پژوهش', 'می‌خواهم', '42', 'tenant', '😀', 'a.b'),
      fc.string({ minLength: 1, maxLength: 12 }).filter((s) => /^\S+$/u.test(s)),
    );
    const sentenceArb = fc
      .tuple(fc.array(word, { minLength: 1, maxLength: 30 }), fc.constantFrom('.', '؟', '!', '؛', ''))
      .map(([words, end]) => words.join(' ') + end);
    const blockArb = fc.array(sentenceArb, { minLength: 1, maxLength: 8 }).map((s) => s.join(' '));
    fc.assert(
      fc.property(
        fc.array(blockArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 16, max: 200 }),
        fc.integer({ min: 0, max: 7 }),
        (blocks, limit, overlapEighths) => {
          const overlap = Math.floor((limit * overlapEighths) / 16);
          const chunks = chunkDocument(onePage(blocks.map((text) => ({ text }))), {
            chunkTokens: limit,
            overlapTokens: overlap,
          });
          for (const chunk of chunks) {
            expect(chunk.content.trim()).not.toBe('');
            expect(chunk.tokens).toBe(countTokens(chunk.content));
            expect(chunk.tokens).toBeLessThanOrEqual(limit);
          }
          const all = chunks.map((c) => c.content).join(' ');
          for (const w of blocks
            .join(' ')
            .split(/\s+/u)
            .filter((x) => x !== '' && countTokens(x) < limit / 2)) {
            expect(all).toContain(w);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('chunks a 300-page document in one pass (throughput sanity, no timing asserted)', () => {
    const pages = Array.from({ length: 300 }, (_, p) => ({
      number: p + 1,
      blocks: Array.from({ length: 4 }, (_, b) => ({
        text: paragraph(p * 100 + b * 10, 8),
        headingPath: [],
      })),
    }));
    const chunks = chunkDocument({ pages });
    const totalTokens = chunks.reduce((sum, c) => sum + c.tokens, 0);
    expect(totalTokens).toBeGreaterThan(300 * 4 * 8 * 10);
    expect(chunks.at(-1)!.pageEnd).toBe(300);
  });
});

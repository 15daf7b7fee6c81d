import { describe, expect, it } from 'vitest';
import { dot, LocalHashingEmbedder } from './local-hashing-embedder.js';

const e = new LocalHashingEmbedder(512);
const v = (text: string) => e.embedOne(text);
const norm = (x: number[]) => Math.sqrt(dot(x, x));

describe('LocalHashingEmbedder', () => {
  it('gives the same vector for the same text, across instances', async () => {
    const [a] = await e.embed(['The backup job runs at 02:00']);
    const [b] = await new LocalHashingEmbedder(512).embed(['The backup job runs at 02:00']);
    expect(a).toEqual(b);
    expect(a).toHaveLength(512);
  });

  it('returns unit vectors, even for text without words', () => {
    for (const text of ['hello world', 'سلام دنیا', '', '!!! ...']) expect(norm(v(text))).toBeCloseTo(1, 10);
  });

  it('puts texts about the same thing closer than unrelated ones', () => {
    const query = v('how do I restore a database backup?');
    const related = v('Restoring the database from a backup takes about ten minutes.');
    const unrelated = v('Invoices are e-mailed to the billing address every morning.');
    expect(dot(query, related)).toBeGreaterThan(dot(query, unrelated) + 0.1);
  });

  it('matches inflected forms through character n-grams', () => {
    expect(dot(v('documents'), v('document'))).toBeGreaterThan(0.4);
    expect(dot(v('documents'), v('invoice'))).toBeLessThan(0.2);
  });

  it('handles Persian: ZWNJ, Arabic letter variants and Persian digits fold to one form', () => {
    // "I want" with ZWNJ, without it; Arabic yeh/kaf vs Persian; Persian vs ASCII digits.
    expect(dot(v('می‌خواهم'), v('میخواهم'))).toBeCloseTo(1, 10);
    expect(dot(v('كتاب يك'), v('کتاب یک'))).toBeCloseTo(1, 10);
    expect(dot(v('ساعت ۳'), v('ساعت 3'))).toBeCloseTo(1, 10);
    const query = v('پشتیبان‌گیری از پایگاه داده');
    const related = v('پشتیبان‌گیری از پایگاه داده هر شب انجام می‌شود');
    const unrelated = v('صورتحساب ماهانه برای مشتریان ارسال شد');
    expect(dot(query, related)).toBeGreaterThan(dot(query, unrelated) + 0.3);
  });

  it('refuses a dimension too small to hash into', () => {
    expect(() => new LocalHashingEmbedder(4)).toThrow(/dimensions/);
  });
});

import { normalizeForMatching, words } from './normalize-text.js';
import type { Embedder } from './types.js';

/**
 * Offline embeddings by feature hashing. Honest summary: this measures LEXICAL overlap, not meaning. Texts that
 * share words, word pairs or word pieces land close together; "car" and "automobile" do not. It is good enough
 * to make retrieval work without a network (together with full-text search), identical on every machine (no
 * randomness, no model file), and fast (no model to load; about 0.1 ms for a 512-token chunk).
 *
 * Features of the normalised text (see {@link normalizeForMatching}: Persian/Arabic letter variants, digits and
 * ZWNJ folded), each hashed to a position and a sign (the "hashing trick", so collisions cancel out on average):
 * - every word (weight {@link WEIGHTS.word}) and every pair of neighbouring words ({@link WEIGHTS.bigram});
 * - the character 3- and 4-grams of every word padded with a boundary mark ({@link WEIGHTS.char}), which match
 *   inflected forms ("documents"/"document", "کتاب‌ها"/"کتاب") that share most of their letters.
 * The vector is L2-normalised, so cosine similarity is a dot product.
 */
export const WEIGHTS = { word: 1, bigram: 0.6, char: 0.25 } as const;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SPACE = 0x20;
// Seeds keep feature families apart: the word "the" and the trigram "the" are different features.
const SEED_WORD = 0x9e3779b1;
const SEED_CHAR3 = 0x85ebca6b;
const SEED_CHAR4 = 0xc2b2ae35;
const SEED_BIGRAM = 0x27d4eb2f;

/** Murmur3's finaliser: spreads FNV's weak low bits over the whole word before taking a position and a sign. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashWord(word: string, seed: number): number {
  let h = FNV_OFFSET ^ seed;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

export class LocalHashingEmbedder implements Embedder {
  readonly model = 'local-hashing-v1';
  // One scratch buffer per embedder: embedding 100k chunks should not allocate one per feature or per text.
  private readonly scratch: Float64Array;

  constructor(readonly dimensions: number) {
    if (!Number.isInteger(dimensions) || dimensions < 8)
      throw new RangeError('dimensions must be an integer >= 8');
    this.scratch = new Float64Array(dimensions);
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  /** Synchronous form for hot loops and for the local chat provider's sentence ranking. */
  embedOne(text: string): number[] {
    const v = this.scratch;
    v.fill(0);
    const list = words(normalizeForMatching(text));
    let previous = 0;
    for (let w = 0; w < list.length; w++) {
      const word = list[w] as string;
      const h = hashWord(word, SEED_WORD);
      this.add(h, WEIGHTS.word);
      if (w > 0) this.add(Math.imul(previous ^ SEED_BIGRAM, 0x01000193) ^ h, WEIGHTS.bigram);
      previous = h;
      this.addCharGrams(word, 3, SEED_CHAR3);
      this.addCharGrams(word, 4, SEED_CHAR4);
    }
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += (v[i] as number) * (v[i] as number);
    const out = new Array<number>(v.length);
    if (norm === 0) {
      // A text without a single word still gets a unit vector (a zero vector has no cosine distance in pgvector).
      out.fill(0);
      out[0] = 1;
      return out;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) * scale;
    return out;
  }

  private add(rawHash: number, weight: number): void {
    const h = mix(rawHash);
    const index = h % this.dimensions;
    this.scratch[index] = (this.scratch[index] as number) + (h & 0x80000000 ? -weight : weight);
  }

  /** n-grams of " word " without building the padded string or any substring. */
  private addCharGrams(word: string, n: number, seed: number): void {
    const padded = word.length + 2;
    if (padded < n) return;
    for (let start = 0; start + n <= padded; start++) {
      let h = FNV_OFFSET ^ seed;
      for (let k = start; k < start + n; k++) {
        const code = k === 0 || k === padded - 1 ? SPACE : word.charCodeAt(k - 1);
        h = Math.imul(h ^ code, FNV_PRIME);
      }
      this.add(h >>> 0, WEIGHTS.char);
    }
  }
}

/** Cosine similarity of two L2-normalised vectors. */
export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

import { decode } from 'gpt-tokenizer/encoding/o200k_base';

/**
 * Deterministic synthetic text for the benchmarks: the same seed gives the same corpus on every machine, so a
 * cached database stays valid and two runs measure the same data.
 *
 * Words follow a Zipf-like distribution over a fixed vocabulary of real words (a few very common words, a long tail of rare
 * ones), which is what makes full-text ranking and the hashing embedder behave as they do on real prose: common
 * words match everywhere, rare ones pick out a few chunks.
 */

/** Mulberry32: a tiny seeded PRNG; Math.random cannot be seeded. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DOMAIN_WORDS = [
  'backup',
  'restore',
  'invoice',
  'tenant',
  'deployment',
  'replica',
  'latency',
  'budget',
  'retention',
  'policy',
  'cluster',
  'database',
  'index',
  'vector',
  'ingress',
  'secret',
  'rollout',
  'alert',
  'dashboard',
  'token',
  'payment',
  'schedule',
  'migration',
  'snapshot',
  'failover',
  'quota',
  'upload',
  'document',
  'answer',
  'search',
];

let englishWords: string[] | undefined;

/**
 * Real words, in the order the o200k tokenizer learned them (roughly by frequency): each is one token, so a
 * generated page has about as many tokens as real prose (synthetic letter salad would count 2–3 tokens a word
 * and make every per-page figure look worse than it is). gpt-tokenizer is pinned, so the list is stable.
 */
function vocabularyFromTokenizer(size: number): string[] {
  if (englishWords && englishWords.length >= size) return englishWords.slice(0, size);
  const out: string[] = [];
  const seen = new Set<string>();
  for (let id = 0; id < 200_000 && out.length < size; id++) {
    let piece: string;
    try {
      piece = decode([id]);
    } catch {
      continue;
    }
    if (/^ [a-z]{3,12}$/.test(piece) && !seen.has(piece)) {
      seen.add(piece);
      out.push(piece.slice(1));
    }
  }
  englishWords = out;
  return out.slice(0, size);
}

export interface Corpus {
  /** `count` words drawn from the distribution. */
  words(count: number): string[];
  /** A paragraph of about `count` words with sentence breaks. */
  paragraph(count: number): string;
  /** One page-equivalent (about 500 words, 3,000 characters) of prose under a heading. */
  page(pageNumber: number): { heading: string; paragraphs: string[] };
}

export function createCorpus(seed: number, vocabularySize = 8000): Corpus {
  const random = seededRandom(seed);
  // Domain words are spread through the frequency ranks (every 40th), so some are common and some rare.
  const vocabulary = vocabularyFromTokenizer(vocabularySize);
  DOMAIN_WORDS.forEach((word, i) => {
    if (!vocabulary.includes(word)) vocabulary.splice(10 + i * 40, 0, word);
  });
  vocabulary.length = vocabularySize;
  // Zipf with exponent 1: the cumulative weights of rank 1..n, searched by bisection.
  const cumulative = new Float64Array(vocabulary.length);
  let total = 0;
  for (let i = 0; i < vocabulary.length; i++) {
    total += 1 / (i + 1);
    cumulative[i] = total;
  }
  const draw = () => {
    const target = random() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return vocabulary[lo] as string;
  };
  const words = (count: number) => Array.from({ length: count }, draw);
  const paragraph = (count: number) => {
    const out: string[] = [];
    let sentence: string[] = [];
    for (const word of words(count)) {
      sentence.push(sentence.length === 0 ? word[0]!.toUpperCase() + word.slice(1) : word);
      if (sentence.length >= 8 + Math.floor(random() * 10)) {
        out.push(`${sentence.join(' ')}.`);
        sentence = [];
      }
    }
    if (sentence.length) out.push(`${sentence.join(' ')}.`);
    return out.join(' ');
  };
  return {
    words,
    paragraph,
    page(pageNumber) {
      return {
        heading: `Section ${pageNumber}: ${words(3).join(' ')}`,
        paragraphs: [paragraph(120), paragraph(130), paragraph(120), paragraph(130)],
      };
    },
  };
}

/** A Markdown document of `pages` page-equivalents (one `##` section each). */
export function markdownDocument(corpus: Corpus, title: string, pages: number): string {
  const out = [`# ${title}`, ''];
  for (let p = 1; p <= pages; p++) {
    const page = corpus.page(p);
    out.push(`## ${page.heading}`, '', ...page.paragraphs.flatMap((para) => [para, '']));
  }
  return out.join('\n');
}

/** The text of `pages` pages for a PDF: the same page-equivalents as {@link markdownDocument}. */
export function pdfPages(corpus: Corpus, pages: number): string[] {
  return Array.from({ length: pages }, (_, i) => {
    const page = corpus.page(i + 1);
    return [page.heading, '', ...page.paragraphs.flatMap((para) => [para, ''])].join('\n');
  });
}

/** The documents the ingestion row uploads, generated the same way in the load generator and in the baseline. */
import { buildPdf } from '../../test/fixtures/build.js';
import { createCorpus, markdownDocument, pdfPages } from './corpus.js';

export type BenchDocumentKind = 'markdown' | 'pdf';

export interface BenchDocument {
  name: string;
  type: string;
  bytes: Buffer;
  pages: number;
}

/** Document `index` of a kind: `pages` page-equivalents of distinct text (so no upload is a duplicate). */
export function benchDocument(kind: BenchDocumentKind, index: number, pages: number): BenchDocument {
  const corpus = createCorpus(10_000 + index * 2 + (kind === 'pdf' ? 1 : 0));
  if (kind === 'markdown') {
    return {
      name: `guide-${index}.md`,
      type: 'text/markdown',
      bytes: Buffer.from(markdownDocument(corpus, `Guide ${index}`, pages), 'utf8'),
      pages,
    };
  }
  return {
    name: `guide-${index}.pdf`,
    type: 'application/pdf',
    bytes: buildPdf(pdfPages(corpus, pages)),
    pages,
  };
}

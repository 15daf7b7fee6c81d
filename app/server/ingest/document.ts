/** The shapes that flow from parsing to chunking; the lead's ingestion job stores chunks with these fields. */

export type DocumentKind = 'pdf' | 'docx' | 'markdown' | 'html' | 'text' | 'csv';

export const DOCUMENT_KINDS: readonly DocumentKind[] = ['pdf', 'docx', 'markdown', 'html', 'text', 'csv'];

export interface ParsedBlock {
  /** NFC-normalised text of one paragraph, heading, list, table row or code block (ZWNJ kept). */
  text: string;
  /** Titles of the enclosing headings, outermost first; a heading block's path ends with its own title. */
  headingPath: string[];
}

export interface ParsedPage {
  /** 1-based. Real page numbers for PDF; every other kind is a single page numbered 1. */
  number: number;
  blocks: ParsedBlock[];
}

export interface ParsedDocument {
  pages: ParsedPage[];
}

export interface ParseOptions {
  /** A PDF with more pages than this is refused (not truncated). @default 2000 */
  maxPages?: number;
  /** Aborting stops parsing between pages and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each page is parsed, for progress bars. `total` is the page count. */
  onPage?(done: number, total: number): void;
}

export const DEFAULT_MAX_PAGES = 2000;

/**
 * parseDocument: bytes of a detected kind → pages of text blocks with heading paths.
 * Only PDFs have real pages. Every other kind comes back as ONE page numbered 1: a "page 3" citation of a
 * Markdown file would point at nothing the user can find. Progress for those is reported as (1, 1).
 */
import type { DocumentKind, ParsedBlock, ParsedDocument, ParseOptions } from './document.js';
import { DocumentParseError } from './errors.js';
import { parseCsv } from './parsers/csv.js';
import { parseDocx } from './parsers/docx.js';
import { parseHtml } from './parsers/html.js';
import { parseMarkdown } from './parsers/markdown.js';
import { parsePdf } from './parsers/pdf.js';
import { decodeText, normalizeText, splitParagraphs } from './text.js';

export async function parseDocument(
  kind: DocumentKind,
  buffer: Buffer,
  options: ParseOptions = {},
): Promise<ParsedDocument> {
  options.signal?.throwIfAborted();
  if (buffer.length === 0) throw new DocumentParseError('empty', 'The file is empty.');
  if (kind === 'pdf') return { pages: await parsePdf(buffer, options) };
  const blocks = kind === 'docx' ? await parseDocx(buffer) : parseTextKind(kind, decode(buffer));
  options.signal?.throwIfAborted();
  const kept = blocks.filter((block) => block.text.trim() !== '');
  if (kept.length === 0) throw new DocumentParseError('empty', 'The document contains no text.');
  options.onPage?.(1, 1);
  return { pages: [{ number: 1, blocks: kept }] };
}

function decode(buffer: Buffer): string {
  const text = decodeText(buffer);
  if (text === undefined) {
    throw new DocumentParseError(
      'unsupported',
      'The file is not UTF-8 (or UTF-16) text. Save it as UTF-8 and upload it again.',
    );
  }
  return normalizeText(text);
}

function parseTextKind(kind: Exclude<DocumentKind, 'pdf' | 'docx'>, text: string): ParsedBlock[] {
  switch (kind) {
    case 'markdown':
      return parseMarkdown(text);
    case 'html':
      return parseHtml(text);
    case 'csv':
      return parseCsv(text);
    case 'text':
      return splitParagraphs(text).map((paragraph) => ({ text: paragraph, headingPath: [] }));
  }
}

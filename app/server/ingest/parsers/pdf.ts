/**
 * PDF → pages of blocks, through unpdf (PDF.js). Text is read page by page so progress can be reported, the
 * parse can be aborted between pages, and each page's resources are released before the next one.
 * PDF.js puts right-to-left runs (Persian, stored in visual order in PDFs) back into logical order; shaped
 * presentation forms are mapped back to letters here, with the ZWNJs their shapes reveal. PDF.js drops ZWNJ
 * itself (an invisible format character), so a PDF that maps its glyphs to plain letters loses its ZWNJs.
 */
import { getDocumentProxy } from 'unpdf';
import { unshapePresentationForms } from '../arabic-forms.js';
import { DEFAULT_MAX_PAGES, type ParsedPage, type ParseOptions } from '../document.js';
import { DocumentParseError } from '../errors.js';
import { normalizeText } from '../text.js';

interface TextLine {
  text: string;
  y: number;
  height: number;
}

export async function parsePdf(buffer: Buffer, options: ParseOptions = {}): Promise<ParsedPage[]> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  options.signal?.throwIfAborted();
  // PDF.js may take ownership of the bytes it is given: hand it a copy, never the caller's buffer.
  const data = new Uint8Array(buffer);
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    pdf = await getDocumentProxy(data, { verbosity: 0, isEvalSupported: false, stopAtErrors: false });
  } catch (error) {
    throw translatePdfError(error);
  }
  const abort = () => void pdf.destroy();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const total = pdf.numPages;
    if (total === 0) throw new DocumentParseError('empty', 'The PDF has no pages.');
    if (total > maxPages) {
      throw new DocumentParseError(
        'too_many_pages',
        `The PDF has ${total} pages; documents of up to ${maxPages} pages are accepted. Split it and upload the parts.`,
      );
    }
    const pages: ParsedPage[] = [];
    for (let number = 1; number <= total; number++) {
      options.signal?.throwIfAborted();
      const page = await pdf.getPage(number);
      // PDF.js' own normalisation maps SOME presentation forms to letters, which erases the shapes that show
      // where ZWNJs were; unshapePresentationForms does it all, and the rest of that normalisation below.
      const content = await page.getTextContent({ disableNormalization: true });
      page.cleanup();
      const blocks = linesToParagraphs(itemsToLines(content.items)).map((text) => ({
        text,
        headingPath: [],
      }));
      pages.push({ number, blocks });
      options.onPage?.(number, total);
    }
    if (pages.every((page) => page.blocks.length === 0)) {
      throw new DocumentParseError(
        'no_text',
        'The PDF has no extractable text: it looks scanned (images of pages). Run it through OCR first, then upload it again.',
      );
    }
    return pages;
  } catch (error) {
    options.signal?.throwIfAborted();
    throw translatePdfError(error);
  } finally {
    options.signal?.removeEventListener('abort', abort);
    await pdf.destroy();
  }
}

function translatePdfError(error: unknown): Error {
  if (error instanceof DocumentParseError) return error;
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'PasswordException') {
    return new DocumentParseError(
      'encrypted',
      'The PDF is password-protected; remove the password and upload it again.',
      { cause: error },
    );
  }
  return new DocumentParseError('corrupt', 'The PDF is damaged or not a PDF and cannot be read.', {
    cause: error,
  });
}

type TextContentItem = Awaited<
  ReturnType<Awaited<ReturnType<Awaited<ReturnType<typeof getDocumentProxy>>['getPage']>>['getTextContent']>
>['items'][number];

function itemsToLines(items: TextContentItem[]): TextLine[] {
  const lines: TextLine[] = [];
  let current: TextLine | undefined;
  for (const item of items) {
    if (!('str' in item)) continue;
    if (!current) current = { text: '', y: item.transform[5] as number, height: 0 };
    current.text += item.str;
    current.height = Math.max(current.height, item.height);
    if (item.hasEOL) {
      lines.push(current);
      current = undefined;
    }
  }
  if (current) lines.push(current);
  return lines;
}

/**
 * Lines → paragraphs: a blank line or a vertical gap of more than 1.6 line heights ends a paragraph; the lines of
 * one paragraph are joined with spaces because PDF line breaks are layout, not meaning.
 */
function linesToParagraphs(lines: TextLine[]): string[] {
  const paragraphs: string[] = [];
  let current: string[] = [];
  let previous: TextLine | undefined;
  const flush = () => {
    const text = normalizeText(current.join(' '))
      .replace(/[ \t]+/g, ' ')
      .trim();
    if (text !== '') paragraphs.push(text);
    current = [];
  };
  for (const line of lines) {
    const text = unshapePresentationForms(line.text)
      .replace(/[\u00a0\u2000-\u200a\u202f]/g, ' ')
      .replace(/[\ufb00-\ufb4f]/g, (ligature) => ligature.normalize('NFKC'))
      .trim();
    const gap = previous ? Math.abs(previous.y - line.y) : 0;
    const lineHeight = Math.max(line.height, previous?.height ?? 0, 1);
    if (text === '' || (previous && gap > lineHeight * 1.6)) flush();
    if (text !== '') current.push(text);
    previous = text === '' ? previous : line;
  }
  flush();
  return paragraphs;
}

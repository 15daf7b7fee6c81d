/**
 * Decides what an upload really is. Magic bytes win over the name and the browser's MIME type: a PDF named
 * notes.txt is a PDF, a text file named report.pdf is text. Anything binary we cannot read is undefined, which
 * the upload route answers with 415.
 */
import type { DocumentKind } from './document.js';
import { decodeText } from './text.js';
import { isZip, readZipDirectory } from './zip.js';

const EXTENSION_KINDS: Record<string, DocumentKind> = {
  pdf: 'pdf',
  docx: 'docx',
  md: 'markdown',
  markdown: 'markdown',
  mdown: 'markdown',
  mkd: 'markdown',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  txt: 'text',
  text: 'text',
  log: 'text',
  csv: 'csv',
};

const MIME_KINDS: Record<string, DocumentKind> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/plain': 'text',
  'text/csv': 'csv',
};

const TEXT_KINDS = new Set<DocumentKind>(['markdown', 'html', 'text', 'csv']);

/** How many leading bytes detection looks at; pass at least this much (the whole file is best for zips). */
export const DETECTION_HEAD_BYTES = 64 * 1024;

/**
 * @param head the first bytes of the file (at least {@link DETECTION_HEAD_BYTES} when available; the whole
 *   file lets a zip be recognised from its directory rather than from names near its start)
 */
export function detectDocumentKind(
  filename: string,
  mimeType: string | undefined,
  head: Buffer,
): DocumentKind | undefined {
  const claimed = kindFromName(filename) ?? kindFromMime(mimeType);
  if (startsWithPdfMagic(head)) return 'pdf';
  if (isZip(head)) return isDocxZip(head) || claimed === 'docx' ? 'docx' : undefined;
  const sample = head.subarray(0, DETECTION_HEAD_BYTES);
  // The head may end inside a multi-byte character: tolerate that one cut.
  const text = decodeText(sample, { partial: true });
  if (text === undefined || looksBinary(text)) return undefined;
  if (claimed && TEXT_KINDS.has(claimed)) return claimed;
  // The name claims a binary format (or nothing we know), yet the bytes are text: say what the text looks like.
  if (looksLikeHtml(text)) return 'html';
  return 'text';
}

export function kindFromName(filename: string): DocumentKind | undefined {
  const match = /\.([A-Za-z0-9]+)$/.exec(filename.trim());
  return match ? EXTENSION_KINDS[match[1]!.toLowerCase()] : undefined;
}

function kindFromMime(mimeType: string | undefined): DocumentKind | undefined {
  if (!mimeType) return undefined;
  return MIME_KINDS[mimeType.split(';')[0]!.trim().toLowerCase()];
}

function startsWithPdfMagic(head: Buffer): boolean {
  // The PDF spec lets the header start within the first 1024 bytes (some generators prepend junk).
  const at = head.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1');
  return at >= 0;
}

function isDocxZip(head: Buffer): boolean {
  try {
    const entries = readZipDirectory(head);
    if (entries) return entries.some((entry) => entry.name === 'word/document.xml');
  } catch {
    // A directory we cannot read: fall back to the names near the start.
  }
  // Word writes [Content_Types].xml, _rels/.rels and word/... first; their names sit in the local headers.
  return head.subarray(0, DETECTION_HEAD_BYTES).includes('word/', 0, 'latin1');
}

function looksBinary(text: string): boolean {
  if (text.length === 0) return false;
  // Valid UTF-8 can still be binary noise: many control characters give it away.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: counting control characters is the point
  const controls = text.match(/[\u0001-\u0008\u000e-\u001a\u001c-\u001f]/g)?.length ?? 0;
  return controls / text.length > 0.01;
}

function looksLikeHtml(text: string): boolean {
  return /^\s*(<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])/i.test(text.slice(0, 1024));
}

import { describe, expect, it } from 'vitest';
import { buildDocx, buildPdf, buildZip } from '../../../test/fixtures/build.js';
import { detectDocumentKind } from './detect.js';
import { sanitizeFilename } from './filename.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

describe('detectDocumentKind', () => {
  it('recognises each supported kind from its name and bytes', () => {
    expect(detectDocumentKind('report.pdf', 'application/pdf', buildPdf(['Hello']))).toBe('pdf');
    expect(detectDocumentKind('notes.docx', undefined, buildDocx([{ text: 'Hi' }]))).toBe('docx');
    expect(detectDocumentKind('README.md', 'text/markdown', utf8('# Title\n\nBody'))).toBe('markdown');
    expect(detectDocumentKind('page.html', 'text/html', utf8('<p>Hi</p>'))).toBe('html');
    expect(detectDocumentKind('a.txt', 'text/plain', utf8('plain words'))).toBe('text');
    expect(detectDocumentKind('t.csv', 'text/csv', utf8('a,b\n1,2\n'))).toBe('csv');
  });

  it('believes the bytes over a wrong extension or MIME type', () => {
    expect(detectDocumentKind('notes.txt', 'text/plain', buildPdf(['Hello']))).toBe('pdf');
    expect(detectDocumentKind('scan.pdf', 'application/pdf', buildDocx([{ text: 'Hi' }]))).toBe('docx');
    expect(detectDocumentKind('report.pdf', 'application/pdf', utf8('just some text'))).toBe('text');
    expect(
      detectDocumentKind('page.docx', undefined, utf8('<!DOCTYPE html><html><body>x</body></html>')),
    ).toBe('html');
  });

  it('falls back to the MIME type when the name has no known extension', () => {
    expect(detectDocumentKind('upload', 'text/markdown; charset=utf-8', utf8('# T'))).toBe('markdown');
  });

  it('recognises a DOCX from its zip directory and refuses other zips', () => {
    expect(detectDocumentKind('archive.zip', undefined, buildDocx([{ text: 'Hi' }]))).toBe('docx');
    const otherZip = buildZip([{ name: 'xl/workbook.xml', data: '<workbook/>' }]);
    expect(detectDocumentKind('book.xlsx', undefined, otherZip)).toBeUndefined();
  });

  it('refuses binary files we cannot read (answered with 415)', () => {
    const png = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
    ]);
    expect(detectDocumentKind('photo.png', 'image/png', png)).toBeUndefined();
    expect(detectDocumentKind('photo.txt', 'text/plain', png)).toBeUndefined();
    expect(
      detectDocumentKind('x.bin', undefined, Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff])),
    ).toBeUndefined();
  });

  it('accepts Persian UTF-8 text whose head ends inside a character', () => {
    const persian = utf8('سلام دنیا، این یک متن فارسی است.');
    expect(detectDocumentKind('fa.txt', undefined, persian.subarray(0, persian.length - 1))).toBe('text');
  });

  it('accepts UTF-16 text with a byte order mark (Windows Notepad)', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('سلام hello', 'utf16le')]);
    expect(detectDocumentKind('notepad.txt', 'text/plain', utf16)).toBe('text');
  });
});

describe('sanitizeFilename', () => {
  it('keeps only the last path component', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('C:\\Users\\ali\\report.pdf')).toBe('report.pdf');
  });

  it('removes control characters and bidirectional overrides that disguise the extension', () => {
    expect(sanitizeFilename('invoice\u202efdp.exe')).toBe('invoicefdp.exe');
    expect(sanitizeFilename('a\u0000b\nc\td.txt')).toBe('ab c d.txt');
  });

  it('keeps Persian letters and ZWNJ, NFC-normalised', () => {
    expect(sanitizeFilename('گزارش‌های مالی ۱۴۰۳.pdf')).toBe('گزارش‌های مالی ۱۴۰۳.pdf');
    expect(sanitizeFilename('cafe\u0301.md')).toBe('café.md');
  });

  it('never returns an empty or dot-only name', () => {
    expect(sanitizeFilename('..')).toBe('document');
    expect(sanitizeFilename('   ')).toBe('document');
    expect(sanitizeFilename('/')).toBe('document');
  });

  it('shortens very long names but keeps the extension', () => {
    const name = sanitizeFilename(`${'ب'.repeat(500)}.docx`);
    expect([...name].length).toBe(200);
    expect(name.endsWith('.docx')).toBe(true);
  });
});

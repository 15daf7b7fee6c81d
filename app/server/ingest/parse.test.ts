import { describe, expect, it } from 'vitest';
import { buildDocx, buildPdf, buildZip, buildZipBomb } from '../../../test/fixtures/build.js';
import type { ParsedDocument } from './document.js';
import { DocumentParseError, type DocumentParseReason } from './errors.js';
import { parseDocument } from './parse.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const texts = (doc: ParsedDocument) => doc.pages.flatMap((page) => page.blocks.map((block) => block.text));
const PERSIAN = 'من می‌خواهم کتاب‌ها را بخوانم؛ آیا پژوهش‌گران گفتند؟';

async function parseFailure(promise: Promise<unknown>): Promise<DocumentParseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DocumentParseError);
  return error as DocumentParseError;
}

async function expectReason(promise: Promise<unknown>, reason: DocumentParseReason, message: RegExp) {
  const error = await parseFailure(promise);
  expect(error.reason).toBe(reason);
  expect(error.message).toMatch(message);
}

describe('parseDocument: PDF', () => {
  it('reads each page with its page number and reports progress', async () => {
    const pdf = buildPdf([
      'Chapter one\nThe cat sat on the mat.',
      'The answer is 42.',
      '',
      'Last page (with parentheses).',
    ]);
    const progress: Array<[number, number]> = [];
    const doc = await parseDocument('pdf', pdf, { onPage: (done, total) => progress.push([done, total]) });
    expect(doc.pages.map((page) => page.number)).toEqual([1, 2, 3, 4]);
    expect(doc.pages[0]!.blocks.map((b) => b.text)).toEqual(['Chapter one The cat sat on the mat.']);
    expect(doc.pages[1]!.blocks.map((b) => b.text)).toEqual(['The answer is 42.']);
    expect(doc.pages[2]!.blocks).toEqual([]);
    expect(doc.pages[3]!.blocks.map((b) => b.text)).toEqual(['Last page (with parentheses).']);
    expect(progress).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
  });

  it('starts a new paragraph at a blank line', async () => {
    const doc = await parseDocument('pdf', buildPdf(['First paragraph.\n\nSecond paragraph.']));
    expect(texts(doc)).toEqual(['First paragraph.', 'Second paragraph.']);
  });

  it('recovers Persian from shaped glyphs in visual order, ZWNJ included', async () => {
    const doc = await parseDocument('pdf', buildPdf([`${PERSIAN}\n\nEnglish line 42`, 'پایان']));
    expect(texts(doc)).toEqual([PERSIAN, 'English line 42', 'پایان']);
  });

  it('keeps every Persian letter from PDFs that map glyphs to plain letters (their ZWNJs are not recoverable)', async () => {
    const doc = await parseDocument('pdf', buildPdf([PERSIAN], { rtl: 'plain-letters' }));
    expect(texts(doc)).toEqual([PERSIAN.replaceAll('\u200c', '')]);
  });

  it('refuses a corrupt PDF with a readable reason', async () => {
    const truncated = buildPdf(['Hello world']).subarray(0, 120);
    await expectReason(parseDocument('pdf', truncated), 'corrupt', /damaged/);
    await expectReason(parseDocument('pdf', utf8('%PDF-1.7\nnot really a pdf')), 'corrupt', /damaged/);
  });

  it('refuses a scanned PDF (no text layer) and says OCR is needed', async () => {
    await expectReason(
      parseDocument('pdf', buildPdf(['x', 'y'], { scanned: true })),
      'no_text',
      /scanned.*OCR/,
    );
  });

  it('refuses a PDF with more pages than allowed before reading them', async () => {
    const pages: number[] = [];
    const huge = buildPdf(['Same text on every page.'], { pageCount: 2001 });
    await expectReason(
      parseDocument('pdf', huge, { onPage: (done) => pages.push(done) }),
      'too_many_pages',
      /2001 pages.*2000/,
    );
    await expectReason(
      parseDocument('pdf', buildPdf(['a', 'b', 'c']), { maxPages: 2 }),
      'too_many_pages',
      /3 pages/,
    );
    expect(pages).toEqual([]);
  });

  it('stops between pages when aborted', async () => {
    const controller = new AbortController();
    const pdf = buildPdf(['page text'], { pageCount: 20 });
    const seen: number[] = [];
    const parsing = parseDocument('pdf', pdf, {
      signal: controller.signal,
      onPage: (done) => {
        seen.push(done);
        if (done === 3) controller.abort(new Error('shutting down'));
      },
    });
    await expect(parsing).rejects.toThrow('shutting down');
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe('parseDocument: DOCX', () => {
  it('turns Word heading styles into heading paths', async () => {
    const docx = buildDocx([
      { text: 'Operations guide', heading: 1 },
      { text: 'Read this first.' },
      { text: 'Backups', heading: 2 },
      { text: 'Backups run at 02:00.' },
      { text: 'Restore', heading: 3 },
      { text: 'Restore is verified daily.' },
      { text: 'Alerts', heading: 2 },
      { text: PERSIAN },
    ]);
    const doc = await parseDocument('docx', docx);
    expect(doc.pages).toHaveLength(1);
    expect(doc.pages[0]!.blocks).toEqual([
      { text: 'Operations guide', headingPath: ['Operations guide'] },
      { text: 'Read this first.', headingPath: ['Operations guide'] },
      { text: 'Backups', headingPath: ['Operations guide', 'Backups'] },
      { text: 'Backups run at 02:00.', headingPath: ['Operations guide', 'Backups'] },
      { text: 'Restore', headingPath: ['Operations guide', 'Backups', 'Restore'] },
      { text: 'Restore is verified daily.', headingPath: ['Operations guide', 'Backups', 'Restore'] },
      { text: 'Alerts', headingPath: ['Operations guide', 'Alerts'] },
      { text: PERSIAN, headingPath: ['Operations guide', 'Alerts'] },
    ]);
  });

  it('refuses a zip bomb from its directory, quickly and before inflating it', async () => {
    const bomb = buildZipBomb(64);
    const before = process.memoryUsage().rss;
    await expectReason(parseDocument('docx', bomb), 'zip_bomb', /decompression bomb.*expands/);
    // Inflating would have cost 64 MB at least; reading the directory costs nothing visible.
    expect(process.memoryUsage().rss - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses an archive whose directory lies about sizes', async () => {
    const docx = buildDocx([{ text: 'Hello' }]);
    const directory = docx.lastIndexOf(Buffer.from('word/document.xml')) - 46;
    const lying = Buffer.from(docx);
    lying.writeUInt32LE(10, directory + 24); // declared uncompressed size: 10 bytes
    await expectReason(parseDocument('docx', lying), 'zip_bomb', /beyond its declared size/);
  });

  it('refuses an archive whose entries overlap', async () => {
    const docx = buildDocx([{ text: 'Hello' }]);
    const overlapping = Buffer.from(docx);
    // Point the second directory entry at the first entry's bytes.
    const second = docx.indexOf(
      Buffer.from([0x50, 0x4b, 0x01, 0x02]),
      docx.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 1,
    );
    overlapping.writeUInt32LE(0, second + 42);
    const error = await parseFailure(parseDocument('docx', overlapping));
    expect(['zip_bomb', 'corrupt']).toContain(error.reason);
  });

  it('refuses a zip that is not a Word document, and a damaged one', async () => {
    const notWord = buildZip([{ name: 'xl/workbook.xml', data: '<workbook/>' }]);
    await expectReason(parseDocument('docx', notWord), 'corrupt', /not a Word document/);
    const docx = buildDocx([{ text: 'Hello' }]);
    await expectReason(parseDocument('docx', docx.subarray(0, docx.length - 30)), 'corrupt', /damaged/);
  });

  it('refuses a Word document without text', async () => {
    await expectReason(parseDocument('docx', buildDocx([])), 'empty', /no text/);
  });
});

describe('parseDocument: Markdown', () => {
  it('builds heading paths from # headings and keeps code fences verbatim', async () => {
    const markdown = [
      '# Guide',
      'Intro.',
      '',
      '## Install',
      'Run it:',
      '',
      '```bash',
      '# not a heading',
      'npm start',
      '```',
      '',
      '### Linux ###',
      'Use apt.',
      '',
      '## فارسی',
      PERSIAN,
      '',
      'Setext title',
      '============',
      'Under setext.',
    ].join('\n');
    const doc = await parseDocument('markdown', utf8(markdown));
    expect(doc.pages[0]!.blocks).toEqual([
      { text: 'Guide', headingPath: ['Guide'] },
      { text: 'Intro.', headingPath: ['Guide'] },
      { text: 'Install', headingPath: ['Guide', 'Install'] },
      { text: 'Run it:', headingPath: ['Guide', 'Install'] },
      { text: '```bash\n# not a heading\nnpm start\n```', headingPath: ['Guide', 'Install'] },
      { text: 'Linux', headingPath: ['Guide', 'Install', 'Linux'] },
      { text: 'Use apt.', headingPath: ['Guide', 'Install', 'Linux'] },
      { text: 'فارسی', headingPath: ['Guide', 'فارسی'] },
      { text: PERSIAN, headingPath: ['Guide', 'فارسی'] },
      { text: 'Setext title', headingPath: ['Setext title'] },
      { text: 'Under setext.', headingPath: ['Setext title'] },
    ]);
  });

  it('NFC-normalises text and keeps ZWNJ', async () => {
    const doc = await parseDocument('markdown', utf8('cafe\u0301 می\u200cخواهم\r\n'));
    expect(texts(doc)).toEqual(['café می\u200cخواهم']);
  });
});

describe('parseDocument: HTML', () => {
  it('drops scripts, styles, noscript and templates and builds heading paths', async () => {
    const html = `<!doctype html><html><head><title>Ignored title</title><style>p { color: red }</style></head>
      <body><script>alert("secret")</script><noscript>Enable JavaScript</noscript><template><p>hidden</p></template>
      <h1>Handbook</h1><p>Welcome <a href="https://example.com">aboard</a>.</p>
      <h2>Holidays</h2><ul><li>Nowruz</li><li>Yalda</li></ul>
      <table><tr><th>Name</th><th>Days</th></tr><tr><td>Nowruz</td><td>13</td></tr></table>
      <h2>سیاست</h2><p>${PERSIAN}</p></body></html>`;
    const doc = await parseDocument('html', utf8(html));
    const all = texts(doc).join('\n');
    for (const hidden of [
      'alert',
      'secret',
      'color',
      'Enable JavaScript',
      'hidden',
      'Ignored title',
      'https://',
    ]) {
      expect(all).not.toContain(hidden);
    }
    expect(doc.pages[0]!.blocks).toEqual([
      { text: 'Handbook', headingPath: ['Handbook'] },
      { text: 'Welcome aboard.', headingPath: ['Handbook'] },
      { text: 'Holidays', headingPath: ['Handbook', 'Holidays'] },
      { text: '- Nowruz\n- Yalda', headingPath: ['Handbook', 'Holidays'] },
      { text: 'Name | Days\nNowruz | 13', headingPath: ['Handbook', 'Holidays'] },
      { text: 'سیاست', headingPath: ['Handbook', 'سیاست'] },
      { text: PERSIAN, headingPath: ['Handbook', 'سیاست'] },
    ]);
  });

  it('refuses a page with no visible text', async () => {
    await expectReason(
      parseDocument('html', utf8('<script>var a = 1;</script><style></style>')),
      'empty',
      /no text/,
    );
  });
});

describe('parseDocument: text and CSV', () => {
  it('splits plain text into paragraphs on one page', async () => {
    const doc = await parseDocument('text', utf8('First line\nstill first.\n\n\nSecond.\n'));
    expect(doc.pages).toEqual([
      {
        number: 1,
        blocks: [
          { text: 'First line\nstill first.', headingPath: [] },
          { text: 'Second.', headingPath: [] },
        ],
      },
    ]);
  });

  it('writes CSV rows as readable "column: value" lines, quotes and all', async () => {
    const csv = 'name,city,note\nAli,Tehran,"likes ""tea"", a lot"\nSara,شیراز,"two\nlines"\n,,\n';
    const doc = await parseDocument('csv', utf8(csv));
    expect(texts(doc)).toEqual([
      'name: Ali; city: Tehran; note: likes "tea", a lot',
      'name: Sara; city: شیراز; note: two lines',
    ]);
  });

  it('detects semicolon and tab delimiters', async () => {
    expect(texts(await parseDocument('csv', utf8('a;b\n1;2\n')))).toEqual(['a: 1; b: 2']);
    expect(texts(await parseDocument('csv', utf8('a\tb\n1\t2\n')))).toEqual(['a: 1; b: 2']);
  });

  it('refuses empty files and whitespace-only text', async () => {
    await expectReason(parseDocument('text', Buffer.alloc(0)), 'empty', /empty/);
    await expectReason(parseDocument('markdown', utf8('\n\n   \n')), 'empty', /no text/);
    await expectReason(parseDocument('csv', utf8('\n')), 'empty', /no text/);
  });

  it('refuses text that is not UTF-8 and says how to fix it', async () => {
    const windows1256 = Buffer.from([0xe3, 0xed, 0x20, 0xc7, 0xe1]);
    await expectReason(parseDocument('text', windows1256), 'unsupported', /UTF-8/);
  });
});

describe('parseDocument: long PDF paragraphs', () => {
  it('joins wrapped lines back into one paragraph, in Persian too', async () => {
    const english = 'The nightly backup is verified by restoring it into a scratch database. '
      .repeat(6)
      .trim();
    const persian = Array.from({ length: 12 }, () => 'پشتیبان‌گیری شبانه با بازگردانی آزمایش می‌شود.').join(
      ' ',
    );
    const doc = await parseDocument('pdf', buildPdf([`${english}\n\n${persian}`]));
    expect(texts(doc)).toEqual([english, persian]);
  });
});

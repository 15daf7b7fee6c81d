import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../app/db/index.js';
import { type Account, startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

async function uploadReady(account: Account, name: string, content: string) {
  const res = await server.upload(account.accessToken, name, content, 'text/markdown');
  expect(res.status, res.text).toBe(202);
  const doc = await server.waitForDocument(account.accessToken, res.body.document.id);
  expect(doc.status, doc.error).toBe('ready');
  return doc as { id: string; name: string };
}

async function ask(account: Account, question: string, conversationId?: string) {
  const events = await server.chat(account.accessToken, question, conversationId);
  const sources = events[0]!.data.sources as Array<{
    document_name: string;
    chunk_id: string;
    snippet: string;
  }>;
  const answer = events
    .filter((e) => e.event === 'token')
    .map((e) => e.data.text)
    .join('');
  return { sources, answer, conversationId: events.at(-1)!.data.conversation_id as string };
}

/** BM25 scores of a tenant's chunks for a question, straight from the database function. */
async function scores(account: Account, question: string) {
  return withTenant(server.db.pool, account.tenantId, async (db) => {
    const { rows } = await db.query<{ id: string; score: number }>(
      `SELECT id, score FROM tenant_bm25_matches($1, $2, 50)`,
      [[question], [1]],
    );
    return new Map(rows.map((r) => [r.id, r.score]));
  });
}

const filler = (topic: string, i: number) =>
  `The ${topic} server configuration settings are listed here, item ${i}. Each server setting has a configuration value and the settings apply to every server.`;

describe('BM25 retrieval through the chat API', () => {
  it('cites the document holding the one rare word of a question over documents full of its common words', async () => {
    const team = await server.signUp();
    for (const topic of ['web', 'mail', 'cache', 'queue', 'proxy', 'search', 'backup', 'billing']) {
      await uploadReady(
        team,
        `${topic}-settings.md`,
        `# ${topic} settings\n\n${Array.from({ length: 6 }, (_, i) => filler(topic, i)).join('\n\n')}\n`,
      );
    }
    await uploadReady(
      team,
      'travel.md',
      '# Travel\n\nThe Zanzibar office closes on Fridays, and its server room is cooled by sea water.\n',
    );
    const { sources } = await ask(team, 'Which server configuration settings apply to the Zanzibar office?');
    expect(sources[0]!.document_name).toBe('travel.md');
  });

  it('finds Persian text written with Persian letters and ASCII digits from a question in Arabic letters and Persian digits', async () => {
    const team = await server.signUp();
    await uploadReady(
      team,
      'مرخصی.md',
      '# مرخصی\n\nهر کارمند در سال 26 روز مرخصی با حقوق دارد و مرخصی‌ها در سامانه ثبت می‌شوند.\n',
    );
    await uploadReady(
      team,
      'ناهار.md',
      '# ناهار\n\nهزینه‌ی ناهار کارکنان تا سقف 350 هزار تومان در روز پرداخت می‌شود.\n',
    );
    // ي and ك are the Arabic letters, ۲۶ Persian digits, and "مرخصيها" lacks the ZWNJ.
    const { sources, answer } = await ask(team, 'آيا كارمند ۲۶ روز مرخصيها دارد؟');
    expect(sources[0]!.document_name).toBe('مرخصی.md');
    expect(answer).toContain('26 روز مرخصی با حقوق');
  });

  it('finds the passage of an inflected English word from another inflection (English stems)', async () => {
    const team = await server.signUp();
    await uploadReady(
      team,
      'client.md',
      '# Client\n\nA failed request retries three times with a growing delay between attempts.\n',
    );
    await uploadReady(
      team,
      'logging.md',
      '# Logging\n\nHow often is a request logged? Every request is logged once, with how often it was sent.\n',
    );
    const { sources } = await ask(team, 'How often is a failed request retried?');
    expect(sources[0]!.document_name).toBe('client.md');
  });

  it('stops counting a deleted document’s words: ranking and scores return to what they were', async () => {
    const team = await server.signUp();
    const port = await uploadReady(
      team,
      'port.md',
      '# Port\n\nThe tariff table lists the tariff of each berth; every tariff is set yearly.\n',
    );
    await uploadReady(team, 'zoo.md', '# Zoo\n\nA quokka was seen near the harbour office this morning.\n');
    const question = 'quokka tariff';
    const before = await scores(team, question);
    expect((await ask(team, question)).sources[0]!.document_name).toBe('port.md');

    // A long document that makes "tariff" common: its idf falls, the rare "quokka" now decides.
    const customs = await uploadReady(
      team,
      'customs.md',
      `# Customs\n\n${Array.from({ length: 40 }, (_, i) => `Section ${i}: declarations, inspections, seals and one tariff reference for lane ${i}, among forms, stamps, fees and queues.`).join('\n\n')}\n`,
    );
    const during = await scores(team, question);
    const portChunk = [...before.keys()].find((id) => during.has(id) && during.get(id)! < before.get(id)!);
    expect(portChunk, 'the port chunk scores lower while tariff is common').toBeDefined();
    expect((await ask(team, question)).sources[0]!.document_name).toBe('zoo.md');

    expect(
      (await server.api('DELETE', `/api/v1/documents/${customs.id}`, { token: team.accessToken })).status,
    ).toBe(204);
    expect(await scores(team, question)).toEqual(before);
    expect((await ask(team, question)).sources[0]!.document_name).toBe(port.name);
  });

  it("never lets another team's documents change this team's scores", async () => {
    const mine = await server.signUp();
    const theirs = await server.signUp();
    await uploadReady(
      mine,
      'port.md',
      '# Port\n\nThe tariff table lists the tariff of each berth; every tariff is set yearly.\n',
    );
    await uploadReady(mine, 'zoo.md', '# Zoo\n\nA quokka was seen near the harbour office this morning.\n');
    const question = 'quokka tariff';
    const before = await scores(mine, question);
    const first = (await ask(mine, question)).sources.map((s) => s.chunk_id);
    await uploadReady(
      theirs,
      'customs.md',
      `# Customs\n\n${Array.from({ length: 40 }, (_, i) => `Section ${i}: one tariff reference for lane ${i}, with a quokka on its stamp.`).join('\n\n')}\n`,
    );
    expect(await scores(mine, question)).toEqual(before);
    expect((await ask(mine, question)).sources.map((s) => s.chunk_id)).toEqual(first);
    // And their question never sees my chunks.
    const seen = (await ask(theirs, question)).sources.map((s) => s.document_name);
    expect(new Set(seen)).toEqual(new Set(['customs.md']));
  });

  it("answers with the sentence of the fact, from the first source, in the reader's text", async () => {
    const team = await server.signUp();
    await uploadReady(
      team,
      'pino-README.md',
      [
        '![banner](pino-banner.png)',
        '',
        '# pino',
        '[![npm version](https://img.shields.io/npm/v/pino)](https://www.npmjs.com/package/pino)',
        '',
        '[Very low overhead](#low-overhead) JavaScript logger.',
        '',
        '## Acknowledgments',
        '',
        'This project was kindly sponsored by [nearForm](https://nearform.com).',
        '',
        'Logo and identity designed by **Cosmic Fox Design**: https://www.behance.net/cosmicfox.',
        '',
      ].join('\n'),
    );
    await uploadReady(
      team,
      'mailer.md',
      '# Mailer\n\nThe mailer logo was designed by Sven Kristjansen in 2014.\n',
    );
    const { sources, answer } = await ask(team, 'Who designed the pino logo?');
    const fact = 'Logo and identity designed by Cosmic Fox Design: https://www.behance.net/cosmicfox.';
    expect(sources[0]!.document_name).toBe('pino-README.md');
    expect(sources[0]!.snippet).toContain(fact);
    expect(answer.startsWith(`${fact} [1]`), answer).toBe(true);
    // Stored and cited as a reader sees it: no image, badge or link syntax, no emphasis marks.
    const { rows } = await server.db.pool.query<{ content: string }>(
      'SELECT content FROM chunks WHERE id = $1',
      [sources[0]!.chunk_id],
    );
    expect(rows[0]!.content).toContain(fact);
    expect(rows[0]!.content).not.toMatch(/!\[|\]\(|\*\*/);
    expect(rows[0]!.content.startsWith(sources[0]!.snippet.replace(/…$/, ''))).toBe(true);
  });

  it('retrieves a follow-up question from the document the conversation is about', async () => {
    const team = await server.signUp();
    await uploadReady(
      team,
      'html-to-text.md',
      '# html-to-text\n\n## Options\n\nThe `wordwrap` option wraps lines after 80 characters by default. Set it to `null` or `false` to disable word-wrapping.\n',
    );
    await uploadReady(
      team,
      'lamp.md',
      '# Lamp\n\nPress the switch by the door to turn the hall lamp on or off.\n',
    );
    const first = await ask(team, 'Does html-to-text wrap words by default?');
    expect(first.sources[0]!.document_name).toBe('html-to-text.md');
    const followUp = await ask(team, 'How do I turn that off?', first.conversationId);
    expect(followUp.sources[0]!.document_name).toBe('html-to-text.md');
    expect(followUp.answer).toContain('to disable word-wrapping');
  });

  it('counts retrieval time and the questions nothing relevant was found for in /api/v1/metrics', async () => {
    const team = await server.signUp();
    await uploadReady(team, 'cats.md', '# Cats\n\nCats sleep sixteen hours a day.\n');
    const metric = async (name: string) => {
      const text = (await server.api('GET', '/api/v1/metrics')).text;
      const line = text.split('\n').find((l) => l.startsWith(name));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const retrievals = await metric('rag_retrieval_duration_seconds_count');
    const nothing = await metric(`rag_nothing_found_total{tenant="${team.tenantSlug}"}`);
    expect((await ask(team, 'What is the capital of Portugal?')).sources).toEqual([]);
    expect((await ask(team, 'How long do cats sleep?')).sources.length).toBeGreaterThan(0);
    expect(await metric('rag_retrieval_duration_seconds_count')).toBe(retrievals + 2);
    expect(await metric(`rag_nothing_found_total{tenant="${team.tenantSlug}"}`)).toBe(nothing + 1);
  });
});

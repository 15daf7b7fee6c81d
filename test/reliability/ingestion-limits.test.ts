import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, startTestServer, type TestServer } from '../support/server.js';
import { expectJsonError, rowCounts } from './support.js';

/**
 * Exact limits and a service that no upload can stall, through the real HTTP API on the embedded defaults:
 * an over-limit upload is refused whatever the client, hostile structures get 422 with a reason, and while the
 * worst documents are parsed and indexed every health probe is answered.
 */

const LIMIT = 1024 * 1024;
let server: TestServer;
let account: Account;

beforeAll(async () => {
  server = await startTestServer({ MAX_UPLOAD_BYTES: String(LIMIT) });
  account = await server.signUp();
});
afterAll(async () => {
  await server?.stop();
});

/** Node's own fetch + FormData, the client that once got a file stored cut to the limit. */
async function uploadWithFetch(name: string, bytes: Uint8Array<ArrayBuffer>, type = 'text/plain') {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const response = await fetch(`${server.url}/api/v1/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${account.accessToken}` },
    body: form,
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

const listDocuments = async () =>
  (await server.api('GET', '/api/v1/documents', { token: account.accessToken })).body.documents as Array<{
    name: string;
    size_bytes: number;
  }>;

describe('upload size limit', () => {
  it('refuses 2 MiB sent with fetch + FormData against a 1 MiB limit with 413, and stores nothing', async () => {
    const before = await rowCounts(server.db.pool);
    const res = await uploadWithFetch('big.txt', new Uint8Array(2 * LIMIT).fill(0x61));
    expectJsonError(res, '2 MiB upload');
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/larger than the 1 MB limit/);
    expect(await rowCounts(server.db.pool)).toEqual(before);
    expect((await listDocuments()).map((d) => d.name)).not.toContain('big.txt');
  });

  it('refuses one byte over the limit, and accepts a file of exactly the limit whole', async () => {
    const words = (n: number): Uint8Array<ArrayBuffer> => {
      const bytes = new Uint8Array(n).fill(0x20);
      const word = new TextEncoder().encode('limit ');
      for (let i = 0; i + word.length <= n; i += word.length) bytes.set(word, i);
      bytes[0] = 0x41;
      return bytes;
    };
    const over = await uploadWithFetch('over.txt', words(LIMIT + 1));
    expect(over.status, over.text).toBe(413);
    const exact = await uploadWithFetch('exact.txt', words(LIMIT));
    expect(exact.status, exact.text).toBe(202);
    expect(exact.body.document.size_bytes).toBe(LIMIT);
    expect((await listDocuments()).filter((d) => d.name.endsWith('.txt')).map((d) => d.name)).toEqual([
      'exact.txt',
    ]);
  });
});

describe('hostile structure', () => {
  it('deeply nested HTML gets 422 with the reason, not 500, and stores nothing', async () => {
    const before = await rowCounts(server.db.pool);
    const html = `<html><body>${'<div>'.repeat(50_000)}x${'</div>'.repeat(50_000)}</body></html>`;
    const res = await server.upload(account.accessToken, 'nested.html', html, 'text/html');
    expectJsonError(res, 'nested HTML');
    expect(res.status, res.text).toBe(422);
    expect(res.body.message).toMatch(/nested too deeply/);
    expect(await rowCounts(server.db.pool)).toEqual(before);
  });

  it('one 150 KB word is refused at once with the reason: there are no words to search', async () => {
    const res = await server.upload(account.accessToken, 'b.txt', `${'b'.repeat(150_000)}\n`, 'text/plain');
    expect(res.status, res.text).toBe(422);
    expect(res.body.message).toMatch(/without a space .*nothing in it to search/);
  });
});

describe('a service no document can stall', () => {
  it('answers every health probe while the worst documents are parsed and indexed', async () => {
    // 1 MB of prose on one line (one sentence the chunker must cut), a half-junk file (runs of 1,000+
    // characters between words) and a run of quotes after a full stop (the old sentence splitter's worst case).
    const prose = Array.from({ length: 20_000 }, (_, i) => `word${i % 997} and more`)
      .join(' ')
      .slice(0, LIMIT - 10);
    const halfJunk = Array.from({ length: 300 }, (_, i) => `Sentence ${i} is fine. ${'x'.repeat(1500)}`).join(
      ' ',
    );
    const quotes = `End.${'"'.repeat(LIMIT - 20)} after`;
    const probes: number[] = [];
    const readiness: number[] = [];
    let uploading = true;
    const prober = (async () => {
      while (uploading) {
        // Liveness is the event loop alone: it must always answer at once.
        const started = performance.now();
        const live = await fetch(`${server.url}/api/v1/health/live`);
        expect(live.status).toBe(200);
        probes.push(performance.now() - started);
        // Readiness also waits for the database, which the embedded server runs one statement at a time (a
        // document's chunks are stored in one transaction): it answers, 200 or a 503 after its 2 s timeout.
        const ready = await fetch(`${server.url}/api/v1/health`);
        expect([200, 503]).toContain(ready.status);
        readiness.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const ids: string[] = [];
      for (const [name, text] of [
        ['prose.txt', prose],
        ['half-junk.txt', halfJunk],
        ['quotes.txt', quotes],
      ] as const) {
        const res = await server.upload(account.accessToken, name, text, 'text/plain');
        expect([202, 422], `${name}: ${res.text.slice(0, 200)}`).toContain(res.status);
        if (res.status === 202) ids.push(res.body.document.id);
      }
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        const doc = await server.waitForDocument(account.accessToken, id);
        expect(doc.status, JSON.stringify(doc)).toBe('ready');
      }
    } finally {
      uploading = false;
      await prober;
    }
    // A liveness property, not a benchmark: no probe waited behind the documents (the old chunker held the
    // event loop for seconds on inputs like these).
    expect(probes.length).toBeGreaterThan(5);
    expect(Math.max(...probes)).toBeLessThan(2_000);
    expect(Math.max(...readiness)).toBeLessThan(6_000);
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../app/db/index.js';
import { startFakeOpenAI } from '../fakes/openai.js';
import { TEST_JWT_SECRET, uniqueEmail } from '../support/server.js';

/**
 * SIGKILL during ingestion, with a real `npm start` process on the embedded defaults: the restarted server
 * resumes the document at once (within 30 s, without waiting for the lease), without duplicate or lost chunks;
 * and a document that is being indexed every time the server dies is failed after its attempts instead of
 * being run again at every start.
 */

const root = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Child {
  process: ChildProcess;
  url: string;
}

async function startServer(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'app/server/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: '',
      REDIS_URL: '',
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      JWT_SECRET: TEST_JWT_SECRET,
      SERVE_WEB: 'false',
      LLM_PROVIDER: 'local',
      INGEST_MAX_ATTEMPTS: '3',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk) => {
    out += chunk;
  });
  child.stderr!.on('data', () => {});
  for (let waited = 0; ; waited += 100) {
    const match = /running at (http:\/\/[^ ]+) /.exec(out);
    if (match) return { process: child, url: match[1]! };
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${out}`);
    if (waited > 90_000) throw new Error('the server did not start in 90 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function kill(child: Child) {
  child.process.kill('SIGKILL');
  if (child.process.exitCode === null && child.process.signalCode === null) await once(child.process, 'exit');
}

async function api(child: Child, method: string, route: string, token?: string, body?: BodyInit | object) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${child.url}${route}`, { method, headers, body: payload });
  return { status: res.status, body: (await res.json()) as any };
}

async function signUp(child: Child) {
  const email = uniqueEmail('crash');
  const password = 'correct horse battery';
  await api(child, 'POST', '/api/v1/auth/register', undefined, { email, password, full_name: 'Crash Test' });
  return (await api(child, 'POST', '/api/v1/auth/login', undefined, { email, password })).body
    .access_token as string;
}

/** About 2.5 MB of distinct sentences: seconds of chunking and a long store, so a kill lands mid-processing. */
const bigDocument = (seed: string) =>
  Array.from(
    { length: 500 },
    (_, p) =>
      `## Part ${p}\n\n${Array.from({ length: 60 }, (_, i) => `In ${seed} part ${p}, shelf ${i} holds volume ${p * 60 + i} of the archive.`).join(' ')}`,
  ).join('\n\n');

async function uploadBig(child: Child, token: string, seed: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([bigDocument(seed)], { type: 'text/markdown' }), `${seed}.md`);
  const res = await api(child, 'POST', '/api/v1/documents', token, form);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.document.id;
}

/** Polls the document until `until` holds (a generous bound: a liveness property, not a timing). */
async function waitFor(
  child: Child,
  token: string,
  id: string,
  until: (doc: any) => boolean,
  seconds: number,
) {
  for (let waited = 0; waited < seconds * 1000; waited += 100) {
    const { body } = await api(child, 'GET', `/api/v1/documents/${id}`, token);
    if (until(body)) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`document ${id} did not reach the expected state in ${seconds} s`);
}

describe('SIGKILL during ingestion', () => {
  it('resumes the document within 30 s of the restart, storing each chunk once', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-crash-resume-'));
    dirs.push(dataDir);
    let child = await startServer(dataDir);
    let id = '';
    try {
      const token = await signUp(child);
      id = await uploadBig(child, token, 'resume');
      await waitFor(child, token, id, (d) => d.status === 'processing' && d.attempts === 1, 60);
      await kill(child);
      child = await startServer(dataDir);
      const resumed = await waitFor(
        child,
        token,
        id,
        (d) => d.attempts === 2 || d.status !== 'processing',
        30,
      );
      expect(resumed.attempts).toBe(2);
      const ready = await waitFor(child, token, id, (d) => d.status !== 'processing', 300);
      expect(ready).toMatchObject({ status: 'ready', error: null, failure_reason: null });
      expect(ready.chunks_done).toBe(ready.chunks);
    } finally {
      await kill(child);
    }
    const db = await openDatabase({
      DATABASE_URL: undefined,
      DATABASE_POOL_SIZE: 2,
      dataDir,
      EMBEDDING_DIMENSIONS: 512,
    });
    try {
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n, count(DISTINCT ordinal)::int AS distinct_ordinals, max(ordinal)::int AS last,
                (SELECT chunks_total FROM documents WHERE id = $1) AS total,
                (SELECT count(*)::int FROM ingestion_jobs) AS jobs
           FROM chunks WHERE document_id = $1`,
        [id],
      );
      // No duplicate and no lost chunk: ordinals 0..total-1, each once.
      expect(rows[0]).toEqual({
        n: rows[0].total,
        distinct_ordinals: rows[0].total,
        last: rows[0].total - 1,
        total: rows[0].total,
        jobs: 0,
      });
    } finally {
      await db.close();
    }
  }, 600_000);

  it('a document the server dies on at every attempt ends failed, and the server stays healthy', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-crash-poison-'));
    dirs.push(dataDir);
    let child = await startServer(dataDir);
    try {
      const token = await signUp(child);
      const id = await uploadBig(child, token, 'poison');
      for (let attempt = 1; attempt <= 3; attempt++) {
        await waitFor(child, token, id, (d) => d.status === 'processing' && d.attempts === attempt, 60);
        await kill(child);
        child = await startServer(dataDir);
      }
      const failed = await waitFor(child, token, id, (d) => d.status !== 'processing', 60);
      expect(failed).toMatchObject({
        status: 'failed',
        failure_reason: 'interrupted',
        attempts: 3,
        chunks_done: 0,
      });
      expect(failed.error).toMatch(/interrupted 3 times/);
      expect((await api(child, 'GET', '/api/v1/health')).status).toBe(200);
      // Other documents keep flowing.
      const form = new FormData();
      form.append(
        'file',
        new Blob(['# Note\n\nThe garage opens at seven.'], { type: 'text/markdown' }),
        'note.md',
      );
      const small = await api(child, 'POST', '/api/v1/documents', token, form);
      expect(
        (await waitFor(child, token, small.body.document.id, (d) => d.status !== 'processing', 60)).status,
      ).toBe('ready');
    } finally {
      await kill(child);
    }
  }, 600_000);
});

describe('SIGKILL during a chat turn', () => {
  it('shows the question as interrupted after the restart, with neither an answer nor ledger rows', async () => {
    const fake = await startFakeOpenAI();
    // The model streams two tokens, then holds the stream open: the server is killed mid-answer.
    fake.setBehavior('*', { stallAfterTokens: 2 });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-crash-chat-'));
    dirs.push(dataDir);
    const env = { LLM_PROVIDER: 'openai', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test-key' };
    let child = await startServer(dataDir, env);
    let conversationId = '';
    try {
      const token = await signUp(child);
      const form = new FormData();
      form.append(
        'file',
        new Blob(['# Garage\n\nThe garage opens at seven and closes at nine.'], { type: 'text/markdown' }),
        'garage.md',
      );
      const doc = await api(child, 'POST', '/api/v1/documents', token, form);
      await waitFor(child, token, doc.body.document.id, (d) => d.status === 'ready', 60);
      const response = await fetch(`${child.url}/api/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'When does the garage open?' }),
      });
      const reader = response.body!.getReader();
      let text = '';
      while (!/event: token/.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended early: ${text}`);
        text += new TextDecoder().decode(value);
      }
      conversationId = /"conversation_id":"([^"]+)"/.exec(text)![1]!;
      await kill(child);
      child = await startServer(dataDir, env);
      let question: any;
      for (let waited = 0; waited < 60_000; waited += 500) {
        const { body } = await api(child, 'GET', `/api/v1/conversations/${conversationId}`, token);
        question = body.messages.find((m: any) => m.role === 'user');
        if (question?.interrupted) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(question).toMatchObject({ content: 'When does the garage open?', interrupted: true });
      const { body } = await api(child, 'GET', `/api/v1/conversations/${conversationId}`, token);
      expect(body.messages.map((m: any) => m.role)).toEqual(['user']);
      // A new question in the same conversation is answered, and is not marked.
      fake.setBehavior('*', {});
      await (
        await fetch(`${child.url}/api/v1/chat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            message: 'And when does it close?',
            conversation_id: conversationId,
            stream: false,
          }),
        })
      ).json();
      const after = await api(child, 'GET', `/api/v1/conversations/${conversationId}`, token);
      expect(after.body.messages.map((m: any) => [m.role, m.interrupted])).toEqual([
        ['user', true],
        ['user', false],
        ['assistant', false],
      ]);
    } finally {
      await kill(child);
      await fake.close();
    }
    const db = await openDatabase({
      DATABASE_URL: undefined,
      DATABASE_POOL_SIZE: 2,
      dataDir,
      EMBEDDING_DIMENSIONS: 512,
    });
    try {
      // The cut turn left no ledger row without its answer; every answer from a model has its rows.
      const { rows } = await db.pool.query(
        `SELECT (SELECT count(*)::int FROM usage_ledger l WHERE l.conversation_id = $1
                  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = l.message_id)) AS orphan_rows,
                (SELECT count(DISTINCT message_id)::int FROM usage_ledger WHERE conversation_id = $1) AS billed_answers,
                (SELECT count(*)::int FROM messages WHERE conversation_id = $1 AND role = 'assistant'
                  AND model IS NOT NULL) AS model_answers`,
        [conversationId],
      );
      expect(rows[0].orphan_rows).toBe(0);
      expect(rows[0].billed_answers).toBe(rows[0].model_answers);
    } finally {
      await db.close();
    }
  }, 300_000);
});

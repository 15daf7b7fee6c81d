/**
 * `npm run eval [-- --sweep]`: DocuChat's retrieval and offline answers on the labelled set of bench/eval/dataset.ts,
 * beside a reference BM25 (MiniSearch) over the same stored chunks, in one run. Never part of `npm test`.
 *
 * The documents go through the real ingestion path (HTTP upload into a fresh embedded database); the chat API
 * answers every question with the real retrieval and the `local` answerer; BM25 alone, vector alone and hybrid are
 * the product's retrieval call in its three modes, answered by the same answerer. Writes bench/results/eval.md.
 * `--sweep` also prints hybrid at other fusion weights and relevance floors (how the constants were chosen).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import MiniSearch from 'minisearch';
import stem from 'wink-porter2-stemmer';
import { loadConfig } from '../../app/config/index.js';
import { buildPrompt } from '../../app/server/chat/prompt.js';
import { LocalHashingEmbedder } from '../../app/server/embeddings/local-hashing-embedder.js';
import { normalizeForMatching } from '../../app/server/embeddings/normalize-text.js';
import { LocalChatProvider } from '../../app/server/llm/local-chat-provider.js';
import type { RetrievedChunk } from '../../app/server/rag/retrieval.js';
import * as retrieval from '../../app/server/rag/retrieval.js';
import { startDocuChat } from '../../app/server/start.js';
import { DOCUMENTS, type EvalQuestion, FOLLOW_UPS, QUESTIONS, UNANSWERABLE } from './dataset.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOP_K = 10;
/** What the chat gives the model (RETRIEVAL_TOP_K's default). */
const PROMPT_K = 8;
// RETRIEVAL_MIN_SIMILARITY's default.
const MIN_SIMILARITY = loadConfig({}).RETRIEVAL_MIN_SIMILARITY;
const sweep = process.argv.includes('--sweep');
const verbose = process.argv.includes('--verbose');
const hasModes = 'VECTOR_WEIGHTS' in retrieval;

type Lang = 'en' | 'fa';
/** The fields of the API's answers the eval reads. */
interface ApiBody {
  tenant: { id: string };
  access_token: string;
  document: { id: string };
  status: string;
  error?: string;
}
interface Outcome {
  lang: Lang;
  hit1: number;
  rr: number;
  recall5: number;
  fact: number;
  empty: boolean;
}

const norm = (text: string) => normalizeForMatching(text).replace(/\s+/g, ' ').trim();

function documentText(doc: (typeof DOCUMENTS)[number]): string {
  if ('local' in doc.source)
    return readFileSync(path.join(ROOT, 'bench/eval/documents', doc.source.local), 'utf8');
  const dir = path.join(ROOT, 'node_modules', doc.source.package);
  const version = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  if (version !== doc.source.version)
    throw new Error(`${doc.source.package} is ${version}, the eval is labelled on ${doc.source.version}`);
  return readFileSync(path.join(dir, doc.source.file), 'utf8');
}

// The reference: MiniSearch's BM25 (k1 1.2, b 0.75, no BM25+ delta, no fuzzy or prefix matching) over the stored
// chunks, each with its document name and headings as a title field weighted 2, Porter2 stems and the same
// character normalisation as DocuChat, so it differs by ranking only.
const refTerm = (term: string) => {
  const t = normalizeForMatching(term);
  return /^[a-z]/.test(t) ? stem(t) : t;
};

async function main() {
  const texts = new Map(DOCUMENTS.map((d) => [d.id, documentText(d)]));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'docuchat-eval-'));
  const running = await startDocuChat(
    {
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      JWT_SECRET: 'eval-secret-that-is-long-enough-for-hs256-signing',
      LLM_PROVIDER: 'local',
      LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
      // DATABASE_URL=postgres://… runs the same eval on PostgreSQL (an empty database: the eval registers its team).
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    },
    {},
  );
  const { pool } = running.db;
  const api = async (route: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    const res = await fetch(`${running.url}${route}`, { ...init, headers });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as ApiBody };
  };
  try {
    const account = { email: 'eval@example.com', password: 'correct horse battery' };
    const reg = await api('/api/v1/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...account, full_name: 'Eval', tenant_name: 'Eval' }),
    });
    const tenantId: string = reg.body.tenant.id;
    const login = await api('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
    });
    const token: string = login.body.access_token;

    const docIds = new Map<string, string>();
    for (const doc of DOCUMENTS) {
      const form = new FormData();
      form.append('file', new Blob([texts.get(doc.id)!], { type: 'text/markdown' }), doc.name);
      const up = await api('/api/v1/documents', { method: 'POST', body: form, token });
      if (up.status !== 202 && up.status !== 200) throw new Error(`upload ${doc.name}: ${up.status}`);
      docIds.set(up.body.document.id, doc.id);
    }
    for (const id of docIds.keys()) {
      for (;;) {
        const state = await api(`/api/v1/documents/${id}`, { token });
        if (state.body.status === 'ready') break;
        if (state.body.status === 'failed') throw new Error(`ingestion failed: ${state.body.error}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }

    const { rows: stored } = await pool.query<{
      id: string;
      document_id: string;
      name: string;
      content: string;
      heading_path: string[];
      page_start: number | null;
      page_end: number | null;
    }>(
      `SELECT c.id, c.document_id, d.name, c.content, c.heading_path, c.page_start, c.page_end
         FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.tenant_id = $1`,
      [tenantId],
    );
    const chunkById = new Map(stored.map((c) => [c.id, c]));
    const answerChunks = (q: { doc: string; fact: string }) =>
      new Set(
        stored
          .filter((c) => docIds.get(c.document_id) === q.doc && norm(c.content).includes(norm(q.fact)))
          .map((c) => c.id),
      );
    const unfound = [...QUESTIONS, ...FOLLOW_UPS].filter((q) => answerChunks(q).size === 0);
    if (unfound.length) console.warn(`facts in no stored chunk: ${unfound.map((q) => q.id).join(', ')}`);

    const mini = new MiniSearch({
      fields: ['title', 'content'],
      processTerm: refTerm,
      tokenize: (text) => text.split(/[^\p{L}\p{N}\p{M}_]+/u).filter(Boolean),
      searchOptions: { boost: { title: 2 }, bm25: { k: 1.2, b: 0.75, d: 0 }, combineWith: 'OR' },
    });
    mini.addAll(
      stored.map((c) => ({
        id: c.id,
        title: `${c.name.replace(/\.[a-z]+$/i, '').replace(/[-_.]+/g, ' ')} ${c.heading_path.join(' ')}`,
        content: c.content,
      })),
    );

    const { rows: dims } = await pool.query<{ value: string }>(
      `SELECT value FROM settings WHERE key = 'embedding_dimensions'`,
    );
    const embedder = new LocalHashingEmbedder(Number(dims[0]!.value));
    const answerer = new LocalChatProvider();
    const asRetrieved = (id: string): RetrievedChunk => {
      const c = chunkById.get(id)!;
      return {
        chunkId: c.id,
        documentId: c.document_id,
        documentName: c.name,
        content: c.content,
        pageStart: c.page_start,
        pageEnd: c.page_end,
        headingPath: c.heading_path,
        similarity: null,
        textMatch: true,
        bm25: null,
        relevance: null,
        score: 0,
      };
    };
    const judge = (
      q: { lang: Lang; doc: string; fact: string },
      question: string,
      ranked: RetrievedChunk[],
      answer?: string,
    ): Outcome => {
      const docs = ranked.map((c) => docIds.get(c.documentId));
      const rank = docs.slice(0, TOP_K).indexOf(q.doc);
      const holders = answerChunks(q);
      const text = answer ?? answerer.answer(buildPrompt(question, ranked.slice(0, PROMPT_K), [], 2000));
      return {
        lang: q.lang,
        hit1: docs[0] === q.doc ? 1 : 0,
        rr: rank >= 0 ? 1 / (rank + 1) : 0,
        recall5: ranked.slice(0, 5).some((c) => holders.has(c.chunkId)) ? 1 : 0,
        fact: norm(text).includes(norm(q.fact)) ? 1 : 0,
        empty: ranked.length === 0,
      };
    };
    const retrieve = (
      question: string,
      mode: retrieval.RetrievalMode,
      extra: Partial<retrieval.RetrievalOptions> = {},
    ) =>
      retrieval.retrieveForTenant(pool, {
        tenantId,
        queryText: question,
        queryVector: embedder.embedOne(question),
        topK: TOP_K,
        minSimilarity: MIN_SIMILARITY,
        mode,
        ...extra,
      });
    const reference = (question: string) =>
      mini
        .search(question)
        .slice(0, TOP_K)
        .map((r) => asRetrieved(String(r.id)));
    const chat = async (message: string, conversationId?: string) => {
      const res = await fetch(`${running.url}/api/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message, ...(conversationId ? { conversation_id: conversationId } : {}) }),
      });
      const text = await res.text();
      const events = text
        .split('\n\n')
        .map((block) => {
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          return event && data ? { event, data: JSON.parse(data) } : undefined;
        })
        .filter((e) => e !== undefined);
      const sources = events.find((e) => e.event === 'sources')?.data;
      const answer = events
        .filter((e) => e.event === 'token')
        .map((e) => e.data.text)
        .join('');
      const done = events.find((e) => e.event === 'done')?.data;
      return {
        conversationId: (sources?.conversation_id ?? done?.conversation_id) as string,
        ranked: ((sources?.sources ?? []) as Array<{ chunk_id: string }>).map((s) => asRetrieved(s.chunk_id)),
        answer,
      };
    };

    const systems = [
      'Reference BM25 (MiniSearch)',
      'BM25 alone',
      'vector alone',
      'hybrid',
      'chat API',
    ] as const;
    type System = (typeof systems)[number];
    const results = new Map<System, Outcome[]>(systems.map((s) => [s, []]));
    const timings: Record<retrieval.RetrievalMode, number[]> = { bm25: [], vector: [], hybrid: [] };
    for (const q of QUESTIONS) {
      results.get('Reference BM25 (MiniSearch)')!.push(judge(q, q.question, reference(q.question)));
      if (hasModes) {
        for (const [system, mode] of [
          ['BM25 alone', 'bm25'],
          ['vector alone', 'vector'],
          ['hybrid', 'hybrid'],
        ] as const) {
          const started = performance.now();
          const ranked = await retrieve(q.question, mode);
          timings[mode].push(performance.now() - started);
          results.get(system)!.push(judge(q, q.question, ranked));
        }
      }
      const turn = await chat(q.question);
      const outcome = judge(q, q.question, turn.ranked, turn.answer);
      results.get('chat API')!.push(outcome);
      if (verbose && (!outcome.hit1 || !outcome.fact))
        console.error(
          `\n--- ${q.id}: ${q.question} [${q.fact}]\n  first: ${turn.ranked[0]?.documentName}\n${turn.answer}`,
        );
    }

    const follow = new Map<string, Outcome[]>([
      ['Reference BM25, follow-up alone', []],
      ['chat API, follow-up alone', []],
      ['chat API, in its conversation', []],
    ]);
    for (const f of FOLLOW_UPS) {
      follow.get('Reference BM25, follow-up alone')!.push(judge(f, f.followUp, reference(f.followUp)));
      const alone = await chat(f.followUp);
      follow.get('chat API, follow-up alone')!.push(judge(f, f.followUp, alone.ranked, alone.answer));
      const first = await chat(f.first);
      const second = await chat(f.followUp, first.conversationId);
      follow.get('chat API, in its conversation')!.push(judge(f, f.followUp, second.ranked, second.answer));
    }

    const refused = { en: [0, 0], fa: [0, 0] };
    for (const u of UNANSWERABLE) {
      const turn = await chat(u.question);
      refused[u.lang][0]! += turn.ranked.length === 0 ? 1 : 0;
      refused[u.lang][1]! += 1;
    }

    const lines: string[] = [];
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
    const f3 = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(3));
    const table = (title: string, rows: Map<string, Outcome[]>) => {
      lines.push(`### ${title}`, '');
      lines.push(
        '| system | lang | n | hit@1 | MRR@10 | chunk recall@5 | fact in answer | said "nothing found" |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
      );
      for (const [system, outcomes] of rows) {
        if (outcomes.length === 0) continue;
        for (const lang of ['en', 'fa', 'all'] as const) {
          const o = outcomes.filter((x) => lang === 'all' || x.lang === lang);
          if (o.length === 0) continue;
          lines.push(
            `| ${system} | ${lang} | ${o.length} | ${f3(mean(o.map((x) => x.hit1)))} | ${f3(mean(o.map((x) => x.rr)))} | ${f3(mean(o.map((x) => x.recall5)))} | ${f3(mean(o.map((x) => x.fact)))} | ${o.filter((x) => x.empty).length} |`,
          );
        }
      }
      lines.push('');
    };
    const commit = git(['rev-parse', '--short', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--', 'app', 'bench/eval']) ? ' (uncommitted changes)' : '';
    lines.push(
      '# Retrieval and answer evaluation',
      '',
      `Ran on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'the embedded database'} ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC at \`${commit}\`${dirty}, load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}. ` +
        `${DOCUMENTS.length} documents (${stored.length} chunks), ${QUESTIONS.length} questions ` +
        `(${QUESTIONS.filter((q) => q.lang === 'en').length} English, ${QUESTIONS.filter((q) => q.lang === 'fa').length} Persian), ` +
        `${FOLLOW_UPS.length} follow-up pairs, ${UNANSWERABLE.length} unanswerable questions; \`npm run eval\` (bench/eval/).`,
      '',
      'hit@1: the first passage is from the right document. MRR@10: reciprocal rank of the first passage from the ' +
        'right document. Chunk recall@5: a passage holding the answer is in the top 5. Fact in answer: the offline ' +
        '`local` answer states the labelled fact. The chat API row is the product end to end (upload, chat, answer); ' +
        'the three mode rows call the same retrieval with one list or both and answer with the same answerer.',
      '',
    );
    table('Questions', results as Map<string, Outcome[]>);
    table('Follow-up questions (second turn of a conversation)', follow);
    lines.push(
      `### Unanswerable questions`,
      '',
      `The chat said nothing relevant was found for ${refused.en[0]} of ${refused.en[1]} English and ${refused.fa[0]} of ${refused.fa[1]} Persian questions whose answer is in no document.`,
      '',
    );
    if (timings.hybrid.length) {
      const at = (xs: number[], q: number) =>
        [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)]!.toFixed(1);
      lines.push(
        `Retrieval time per question on this corpus (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded database'}, one tenant; median / p95): ${(
          ['bm25', 'vector', 'hybrid'] as const
        )
          .map((m) => `${m} ${at(timings[m], 0.5)} / ${at(timings[m], 0.95)} ms`)
          .join(', ')}.`,
        '',
      );
    }

    if (sweep && hasModes) {
      lines.push('### Sweep: hybrid by vector weight and relevance floors', '');
      lines.push(
        '| vector weight | BM25 floor | similarity floor | hit@1 | MRR@10 | recall@5 | fact | answerable refused | unanswerable refused |',
      );
      lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
      const grid: Array<[number, number]> = [
        [0.3, 0.2],
        [0.4, 0.2],
        [0.5, 0.2],
        [0.4, 0.3],
        [0.4, 0.4],
        [0.5, 0.4],
      ];
      for (const vectorWeight of [0, 0.05, 0.15, 0.3, 1]) {
        for (const [minRelevance, minSimilarity] of grid) {
          const options = { vectorWeight, minRelevance, minSimilarity };
          const o: Outcome[] = [];
          for (const q of QUESTIONS)
            o.push(judge(q, q.question, await retrieve(q.question, 'hybrid', options)));
          let negatives = 0;
          for (const u of UNANSWERABLE)
            negatives += (await retrieve(u.question, 'hybrid', options)).length === 0 ? 1 : 0;
          lines.push(
            `| ${vectorWeight} | ${minRelevance} | ${minSimilarity} | ${f3(mean(o.map((x) => x.hit1)))} | ${f3(mean(o.map((x) => x.rr)))} | ${f3(mean(o.map((x) => x.recall5)))} | ${f3(mean(o.map((x) => x.fact)))} | ${o.filter((x) => x.empty).length} | ${negatives} of ${UNANSWERABLE.length} |`,
          );
        }
      }
      lines.push('');
    }
    const misses = QUESTIONS.filter(
      (_, i) => results.get('chat API')![i]!.hit1 === 0 || results.get('chat API')![i]!.fact === 0,
    );
    if (misses.length) {
      lines.push(
        `Chat API misses (wrong first document or fact not stated): ${misses
          .map((q: EvalQuestion) => {
            const o = results.get('chat API')![QUESTIONS.indexOf(q)]!;
            return `${q.id}${o.hit1 ? '' : ' (document)'}${o.fact ? '' : ' (fact)'}`;
          })
          .join(', ')}.`,
        '',
      );
    }
    const report = lines.join('\n');
    console.log(report);
    if (!process.env.DATABASE_URL) writeFileSync(path.join(ROOT, 'bench/results/eval.md'), report);
  } finally {
    await running.close();
    if (process.argv.includes('--keep')) console.error(`data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

await main();

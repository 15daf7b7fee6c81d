/**
 * Row 1 — chat overhead. The same questions go through DocuChat's streaming `/api/v1/chat` and, as the baseline,
 * straight to the same fake upstream with the `openai` SDK, replaying the exact prompts DocuChat sent (so the
 * upstream does the same work for both). The difference is what DocuChat adds: authentication, the budget check,
 * storing the question, the query embedding, retrieval, building the prompt, relaying the tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { startWorker } from '../lib/child.js';
import { signUp, streamChat, upload, waitUntilReady } from '../lib/client.js';
import { createCorpus, markdownDocument } from '../lib/corpus.js';
import type { Line } from '../lib/report.js';
import type { RowDefinition } from '../lib/row.js';
import { docuchatEnv } from '../lib/server-env.js';
import { runConcurrently, type Summary, summarize } from '../lib/stats.js';
import type { ServerCpu } from '../workers/docuchat.js';

/** The upstream's pace: a fixed wait before the first byte, then words at a steady rate (like gpt-4o-mini). */
const UPSTREAM = { latencyMs: 100, tokensPerSecond: 100 };
const ANSWER_WORDS = 30;
/** How long the upstream takes for one answer: the ramp-up spreads the streams' starts over it. */
const ANSWER_MS = UPSTREAM.latencyMs + (ANSWER_WORDS / UPSTREAM.tokensPerSecond) * 1000;
const CONCURRENCY = [1, 16, 64] as const;
const TARGET_AT = 16;
const TARGET_FIRST_MS = 3;
const TARGET_LAST_MS = 5;

export const chatRow: RowDefinition = {
  id: 'chat',
  title: '1. Chat overhead',
  requires: ['app/server/routes/chat.ts', 'app/server/chat/service.ts', 'test/fakes/openai.ts'],
  async run({ quick, log }) {
    const corpus = createCorpus(101);
    const answer = corpus.paragraph(ANSWER_WORDS);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'docuchat-bench-chat-'));
    const fake = await startWorker('fake-openai');
    let server: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      for (const model of ['gpt-4o', 'gpt-4o-mini'])
        await fake.request('setBehavior', { model, behavior: { ...UPSTREAM, answer } });
      server = await startWorker('docuchat', {
        args: [JSON.stringify(docuchatEnv(dataDir, { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'bench' }))],
      });
      const url = server.url;
      const session = await signUp(url, 'chat');
      const docId = await upload(url, session.token, {
        name: 'handbook.md',
        type: 'text/markdown',
        bytes: markdownDocument(corpus, 'Operations handbook', 8),
      });
      await waitUntilReady(url, session.token, docId);
      // Distinct questions (no query-embedding cache hits) made of the handbook's words, so retrieval finds chunks.
      let asked = 0;
      const question = () => `What does the handbook say about ${corpus.words(4).join(' ')}? (${++asked})`;
      // Warm up both paths (JIT, connection pools, prepared plans) before measuring.
      await runConcurrently(8, 4, async () => void (await streamChat(url, session.token, question())));
      const sdk = new OpenAI({ apiKey: 'bench', baseURL: fake.url, maxRetries: 0 });
      await replay(sdk, (await fake.request<object[]>('takeChatBodies')).slice(0, 8), 4, 0);
      await fake.request('forget');

      const lines: Line[] = [];
      const notes: string[] = [];
      /**
       * One measurement: `total` questions, `streams` at a time. Ramped, the streams' starts are spread over one
       * answer's length (as a load tool's ramp-up would), so the server meets `streams` conversations in flight;
       * started together, the first `streams` questions are one burst.
       */
      const measure = async (streams: number, total: number, ramped: boolean, label: string) => {
        const rampMs = ramped && streams > 1 ? ANSWER_MS / streams : 0;
        const docu: Awaited<ReturnType<typeof streamChat>>[] = [];
        const cpuBefore = await server!.request<ServerCpu>('cpuMs');
        await runConcurrently(
          total,
          streams,
          async () => {
            docu.push(await streamChat(url, session.token, question()));
          },
          rampMs,
        );
        const cpuAfter = await server!.request<ServerCpu>('cpuMs');
        const perQuestion = (ms: number) => `${(ms / total).toFixed(1)} ms`;
        const cpu =
          `server CPU ${perQuestion(cpuAfter.process - cpuBefore.process)} per question` +
          (cpuAfter.main !== null && cpuBefore.main !== null
            ? `, of which the API thread ${perQuestion(cpuAfter.main - cpuBefore.main)} (the rest: the embedded database's thread and V8's garbage collector)`
            : '');
        const bodies = await fake.request<object[]>('takeChatBodies');
        await fake.request('forget');
        const direct = await replay(sdk, bodies, streams, rampMs);
        const dFirst = summarize(docu.map((t) => t.firstToken));
        const dLast = summarize(docu.map((t) => t.lastToken));
        const bFirst = summarize(direct.map((t) => t.firstToken));
        const bLast = summarize(direct.map((t) => t.lastToken));
        log(
          `${label} × ${total}: first token ${dFirst.median.toFixed(1)}/${dFirst.p95.toFixed(1)} ms ` +
            `(direct ${bFirst.median.toFixed(1)}/${bFirst.p95.toFixed(1)}), last ${dLast.median.toFixed(1)}/` +
            `${dLast.p95.toFixed(1)} ms (direct ${bLast.median.toFixed(1)}/${bLast.p95.toFixed(1)})`,
        );
        notes.push(
          `${label}, ${total} requests: DocuChat first token ${dFirst.median.toFixed(1)} / ${dFirst.p95.toFixed(1)} ms, ` +
            `last token ${dLast.median.toFixed(1)} / ${dLast.p95.toFixed(1)} ms, done event ` +
            `${summarize(docu.map((t) => t.done)).median.toFixed(1)} / ${summarize(docu.map((t) => t.done)).p95.toFixed(1)} ms (median / p95); ` +
            `${cpu}.`,
        );
        return { dFirst, dLast, bFirst, bLast };
      };
      const added = (what: string, d: Summary, b: Summary, target?: number): Line => ({
        measure: `added to ${what}`,
        unit: 'ms',
        median: d.median - b.median,
        p95: d.p95 - b.p95,
        n: d.n,
        baseline: { label: 'openai SDK direct', median: b.median, p95: b.p95 },
        ratio: d.p95 / b.p95,
        ...(target !== undefined && {
          target: { text: `added p95 ≤ ${target} ms`, pass: d.p95 - b.p95 <= target },
        }),
      });

      for (const streams of CONCURRENCY) {
        const total = quick ? Math.max(4, streams) : streams === 1 ? 40 : streams * (streams >= 64 ? 4 : 8);
        const label = `${streams} stream${streams > 1 ? 's' : ''}`;
        const m = await measure(streams, total, true, label);
        const atTarget = streams === TARGET_AT;
        lines.push(
          added(`first token, ${label}`, m.dFirst, m.bFirst, atTarget ? TARGET_FIRST_MS : undefined),
        );
        lines.push(added(`last token, ${label}`, m.dLast, m.bLast, atTarget ? TARGET_LAST_MS : undefined));
        if (atTarget) {
          const burst = await measure(streams, total, false, `${label} started together`);
          lines.push(
            added(`first token, ${label} started together (diagnostic)`, burst.dFirst, burst.bFirst),
          );
        }
      }
      notes.unshift(
        `Fake upstream: ${UPSTREAM.latencyMs} ms before the first byte, ${UPSTREAM.tokensPerSecond} words/s, ` +
          `${ANSWER_WORDS}-word answers; the baseline replays DocuChat's own prompts with the openai SDK. ` +
          '"Added" = DocuChat minus direct, at the same percentile. LiteLLM publishes 8–29 ms p95 proxy overhead.',
        `The streams ramp up: their starts are spread evenly over ${ANSWER_MS} ms (one answer), on both sides, so ` +
          'the server meets that many conversations in flight. The "started together" line is the other reading: ' +
          `the first ${TARGET_AT} questions arrive at the same instant, more than the 5 % of the requests a p95 ` +
          `looks at, and the last of them waits for the server CPU of the others (CPU per question × ${TARGET_AT} ÷ ` +
          `${os.availableParallelism()} cores, shared with the bench client and the fake upstream).`,
      );
      return { lines, notes, peakRssMb: server.peakRssMb() };
    } finally {
      await server?.stop();
      await fake.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

/** Sends recorded chat bodies straight to the upstream with the SDK, `streams` at a time; times the tokens. */
async function replay(sdk: OpenAI, bodies: object[], streams: number, rampMs: number) {
  const out: { firstToken: number; lastToken: number }[] = [];
  await runConcurrently(
    bodies.length,
    streams,
    async (i) => {
      const body = bodies[i] as OpenAI.ChatCompletionCreateParamsStreaming;
      const start = performance.now();
      const stream = await sdk.chat.completions.create({ ...body, stream: true });
      let first = Number.NaN;
      let last = Number.NaN;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) {
          const at = performance.now() - start;
          if (Number.isNaN(first)) first = at;
          last = at;
        }
      }
      out.push({ firstToken: first, lastToken: last });
    },
    rampMs,
  );
  return out;
}

/**
 * A local stand-in for the OpenAI HTTP API, driven in tests through the real `openai` SDK.
 *
 * It speaks the wire format the SDK expects (`POST /v1/chat/completions` with and without SSE streaming,
 * `POST /v1/embeddings` with float or base64 vectors) and can be told, per model, to fail the way the real service
 * fails: 429 with `retry-after`, 5xx, never answering, a body that is not JSON, a stream whose socket dies after k
 * tokens, and fixed latency / token rate for benchmarks. Every request is recorded for assertions.
 *
 * Token counts use gpt-tokenizer's o200k encoding (what gpt-4o counts with) so tests can predict them:
 * - prompt tokens follow OpenAI's documented chat accounting ({@link countPromptTokens});
 * - completion tokens are the o200k tokens of the whole answer;
 * - a streamed "token" is one word of the answer (one SSE chunk) — that is the unit `cutAfterTokens` counts.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

/** How the fake answers requests for one model. Unset fields mean "behave like a healthy OpenAI". */
export interface FakeBehavior {
  /** Answer with this HTTP status and an OpenAI-shaped error body, e.g. 429, 500, 401. */
  status?: number;
  /** Seconds sent in `retry-after` with a 429. @default 1 */
  retryAfterSeconds?: number;
  /** Accept the request and never answer (the client's timeout must fire). */
  hang?: boolean;
  /** Answer 200 with a body that is not JSON (an SSE data line that is not JSON when streaming). */
  malformed?: boolean;
  /** Streaming only: send this many content chunks, then destroy the socket (no usage chunk, no [DONE]). */
  cutAfterTokens?: number;
  /** Streaming only: send this many content chunks, then stall forever without closing. */
  stallAfterTokens?: number;
  /** Apply the failure switches above only to the next N requests for this model, then answer normally. */
  failures?: number;
  /** The answer text. @default derived from the model and the last user message */
  answer?: string;
  /** Embeddings only: return vectors of this length whatever the request asks (like servers that ignore it). */
  dimensions?: number;
  /** Delay before the response starts, in milliseconds. @default 0 */
  latencyMs?: number;
  /** Streaming pace in chunks per second. @default unlimited */
  tokensPerSecond?: number;
}

/** One request the fake received. */
export interface RecordedRequest {
  path: string;
  model: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: the recorded body is whatever JSON the client sent
  body: any;
  headers: http.IncomingHttpHeaders;
}

export interface FakeOpenAI {
  /** Base URL for the SDK's `baseURL` / `OPENAI_BASE_URL`; ends with `/v1`. */
  url: string;
  /** Sets the behaviour for one model (`'*'` for every model without its own). Replaces earlier settings. */
  setBehavior(model: string, behavior: FakeBehavior): void;
  /** Forgets behaviours and recorded requests. */
  reset(): void;
  /** Requests received so far, oldest first. */
  readonly requests: RecordedRequest[];
  /** Stops the server, cutting any request still held open. */
  close(): Promise<void>;
}

interface PromptMessage {
  role: string;
  content?: unknown;
  name?: string;
}

/**
 * Prompt tokens as OpenAI counts them for chat models: 3 per message, the tokens of each field's value, 1 more
 * for a `name`, and 3 to prime the reply.
 */
export function countPromptTokens(messages: readonly PromptMessage[]): number {
  let total = 3;
  for (const m of messages) {
    total += 3 + countTokens(m.role) + countTokens(contentText(m.content));
    if (m.name) total += 1 + countTokens(m.name);
  }
  return total;
}

/** The answer the fake gives when no `answer` is configured: stable for the same model and question. */
export function defaultAnswer(model: string, messages: readonly PromptMessage[]): string {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const question = contentText(lastUser?.content).split(/\s+/).filter(Boolean).slice(0, 12).join(' ');
  return `Answer from ${model}: you asked about ${question || 'nothing'} [1].`;
}

/** Splits an answer into the chunks the fake streams: one word with its leading whitespace each. */
export function streamChunks(answer: string): string[] {
  return answer.match(/\s*\S+/g) ?? [];
}

/** The deterministic unit vector the fake returns for a text, so tests can compare embeddings. */
export function fakeEmbedding(model: string, text: string, dimensions: number): number[] {
  const out = new Array<number>(dimensions);
  let counter = 0;
  let block = Buffer.alloc(0);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const offset = (i % 8) * 4;
    if (offset === 0) {
      block = createHash('sha256').update(`${model}\u0000${text}\u0000${counter++}`).digest();
    }
    const v = block.readUInt32LE(offset) / 0xffffffff - 0.5;
    out[i] = v;
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dimensions; i++) out[i] = (out[i] as number) * scale;
  return out;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && 'text' in part ? String(part.text) : ''))
      .join('');
  }
  return '';
}

const DEFAULT_EMBEDDING_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const behaviors = new Map<string, FakeBehavior>();
  const failuresUsed = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let nextId = 1;

  /** The behaviour for this request, with failure switches removed once `failures` are used up. */
  const behaviorFor = (model: string): FakeBehavior => {
    const key = behaviors.has(model) ? model : '*';
    const b = behaviors.get(key) ?? {};
    if (b.failures === undefined) return b;
    const used = failuresUsed.get(key) ?? 0;
    failuresUsed.set(key, used + 1);
    if (used < b.failures) return b;
    const { answer, latencyMs, tokensPerSecond, dimensions } = b;
    return { answer, latencyMs, tokensPerSecond, dimensions };
  };

  const sendJson = (
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const sendError = (res: http.ServerResponse, b: FakeBehavior, status: number) => {
    const type =
      status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
    const headers: Record<string, string> = {};
    if (status === 429) headers['retry-after'] = String(b.retryAfterSeconds ?? 1);
    sendJson(
      res,
      status,
      { error: { message: `Fake OpenAI error ${status}`, type, param: null, code: type } },
      headers,
    );
  };

  /** Applies the switches shared by every endpoint; true when the response has been handled. */
  const applyFailure = (res: http.ServerResponse, b: FakeBehavior): boolean => {
    if (b.hang) return true; // the socket stays open until the client gives up or close() cuts it
    if (b.status !== undefined) {
      sendError(res, b, b.status);
      return true;
    }
    return false;
  };

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are untyped JSON
  const chat = async (res: http.ServerResponse, body: any, b: FakeBehavior) => {
    const model = String(body.model);
    const messages: PromptMessage[] = Array.isArray(body.messages) ? body.messages : [];
    const answer = b.answer ?? defaultAnswer(model, messages);
    const usage = {
      prompt_tokens: countPromptTokens(messages),
      completion_tokens: countTokens(answer),
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = `chatcmpl-fake-${nextId++}`;
    const created = 1_700_000_000;

    if (!body.stream) {
      if (b.malformed) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id": "chatcmpl-broken", "choices": [');
        return;
      }
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: answer },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage,
      });
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    // Each write is awaited so that a cut after k tokens really delivers those k tokens before the socket dies.
    const send = (data: unknown) =>
      new Promise<void>((resolve) => res.write(`data: ${JSON.stringify(data)}\n\n`, () => resolve()));
    const chunk = (delta: object, finish: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    if (b.malformed) {
      res.write('data: {"id": "chatcmpl-broken", "choices": [\n\n');
      res.end();
      return;
    }
    await send(chunk({ role: 'assistant', content: '' }, null));
    const pause = b.tokensPerSecond ? 1000 / b.tokensPerSecond : 0;
    let sent = 0;
    for (const piece of streamChunks(answer)) {
      if (b.cutAfterTokens !== undefined && sent >= b.cutAfterTokens) {
        res.socket?.destroy();
        return;
      }
      if (b.stallAfterTokens !== undefined && sent >= b.stallAfterTokens) return;
      if (pause) await sleep(pause);
      if (res.destroyed) return;
      await send(chunk({ content: piece }, null));
      sent++;
    }
    if (b.cutAfterTokens !== undefined && sent >= b.cutAfterTokens) {
      res.socket?.destroy();
      return;
    }
    await send(chunk({}, 'stop'));
    if (body.stream_options?.include_usage)
      await send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    res.write('data: [DONE]\n\n');
    res.end();
  };

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are untyped JSON
  const embeddings = (res: http.ServerResponse, body: any, b: FakeBehavior) => {
    const model = String(body.model);
    const inputs: unknown[] =
      Array.isArray(body.input) && typeof body.input[0] !== 'number' ? body.input : [body.input];
    if (inputs.length === 0 || inputs.length > 2048) {
      sendError(res, {}, 400);
      return;
    }
    if (b.malformed) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object": "list", "data": [');
      return;
    }
    const dimensions = Number(b.dimensions ?? body.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS[model] ?? 1536);
    let promptTokens = 0;
    const data = inputs.map((input, index) => {
      const text = Array.isArray(input) ? input.join(' ') : String(input);
      promptTokens += Array.isArray(input) ? input.length : countTokens(text);
      const vector = fakeEmbedding(model, text, dimensions);
      const embedding =
        body.encoding_format === 'base64'
          ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
          : vector;
      return { object: 'embedding', index, embedding };
    });
    sendJson(res, 200, {
      object: 'list',
      data,
      model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        // biome-ignore lint/suspicious/noExplicitAny: request bodies are untyped JSON
        let body: any;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          sendError(res, {}, 400);
          return;
        }
        const model = typeof body.model === 'string' ? body.model : undefined;
        requests.push({ path, model, body, headers: req.headers });
        const route =
          req.method === 'POST' && path === '/v1/chat/completions'
            ? chat
            : req.method === 'POST' && path === '/v1/embeddings'
              ? embeddings
              : undefined;
        if (!route) {
          sendJson(res, 404, { error: { message: `Unknown path ${path}`, type: 'invalid_request_error' } });
          return;
        }
        const b = behaviorFor(model ?? '');
        if (b.latencyMs) await sleep(b.latencyMs);
        if (applyFailure(res, b)) return;
        await route(res, body, b);
      })().catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    setBehavior(model, behavior) {
      behaviors.set(model, { ...behavior });
      failuresUsed.delete(model);
    },
    reset() {
      behaviors.clear();
      failuresUsed.clear();
      requests.length = 0;
    },
    requests,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

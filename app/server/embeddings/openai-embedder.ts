import type OpenAI from 'openai';
import { classifyOpenAIError, LlmConfigurationError, ModelCallError } from '../llm/errors.js';
import { countTokens, truncateToTokens } from '../llm/tokens.js';
import type { Embedder } from './types.js';

/** Limits of OpenAI's embeddings endpoint (inputs per request, tokens per input) and our per-request budget. */
export const OPENAI_EMBEDDING_LIMITS = {
  maxInputsPerRequest: 2048,
  maxTokensPerInput: 8191,
  /** OpenAI allows 300k tokens per request; staying below leaves room for its own counting differences. */
  maxTokensPerRequest: 250_000,
} as const;

export interface OpenAIEmbedderOptions {
  client: OpenAI;
  /** @default 'text-embedding-3-small' */
  model?: string;
  dimensions: number;
  /** Inputs per request. @default 2048 (the API's limit) */
  maxInputsPerRequest?: number;
  /** Tokens per request. @default 250_000 */
  maxTokensPerRequest?: number;
  /** Attempts per batch, the first included. @default 5 */
  maxAttempts?: number;
  /** First backoff step; doubles per attempt, with full jitter. @default 500 */
  baseDelayMs?: number;
  /** Cap on one backoff wait (also caps a server's retry-after). @default 20_000 */
  maxDelayMs?: number;
  /** Per-request timeout in milliseconds. @default 60_000 */
  timeoutMs?: number;
  /** Injected in tests so backoff needs no real waiting. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected in tests for reproducible jitter. @default Math.random */
  random?: () => number;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * Embeddings from OpenAI (or a compatible server) with as few requests as the API's limits allow, and
 * exponential backoff with full jitter on transient failures (429, 5xx, timeouts, connection errors). A
 * rejected request (other 4xx) is never retried: it is a configuration problem and would fail again.
 */
export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  private readonly o: Required<Omit<OpenAIEmbedderOptions, 'client' | 'model' | 'dimensions'>>;

  constructor(private readonly options: OpenAIEmbedderOptions) {
    this.model = options.model ?? 'text-embedding-3-small';
    this.dimensions = options.dimensions;
    this.o = {
      maxInputsPerRequest: Math.min(
        options.maxInputsPerRequest ?? OPENAI_EMBEDDING_LIMITS.maxInputsPerRequest,
        OPENAI_EMBEDDING_LIMITS.maxInputsPerRequest,
      ),
      maxTokensPerRequest: options.maxTokensPerRequest ?? OPENAI_EMBEDDING_LIMITS.maxTokensPerRequest,
      maxAttempts: options.maxAttempts ?? 5,
      baseDelayMs: options.baseDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 20_000,
      timeoutMs: options.timeoutMs ?? 60_000,
      sleep: options.sleep ?? defaultSleep,
      random: options.random ?? Math.random,
    };
  }

  async embed(texts: string[], opts: { signal?: AbortSignal } = {}): Promise<number[][]> {
    const out: number[][] = [];
    for (const batch of this.batches(texts)) {
      out.push(...(await this.embedBatchWithRetry(batch, opts.signal)));
    }
    return out;
  }

  /** Groups inputs in order into requests within the input-count and token budgets; over-long inputs are cut. */
  private *batches(texts: string[]): Generator<string[]> {
    let batch: string[] = [];
    let tokens = 0;
    for (const raw of texts) {
      // The API rejects empty strings; a blank chunk still needs a vector in its place.
      let text = raw.trim() === '' ? ' ' : raw;
      let n = countTokens(text);
      if (n > OPENAI_EMBEDDING_LIMITS.maxTokensPerInput) {
        text = truncateToTokens(text, OPENAI_EMBEDDING_LIMITS.maxTokensPerInput);
        n = OPENAI_EMBEDDING_LIMITS.maxTokensPerInput;
      }
      if (
        batch.length > 0 &&
        (batch.length >= this.o.maxInputsPerRequest || tokens + n > this.o.maxTokensPerRequest)
      ) {
        yield batch;
        batch = [];
        tokens = 0;
      }
      batch.push(text);
      tokens += n;
    }
    if (batch.length > 0) yield batch;
  }

  private async embedBatchWithRetry(batch: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.embedBatch(batch, signal);
      } catch (err) {
        const failure = classifyOpenAIError(this.model, err);
        if (!failure.retryable || attempt >= this.o.maxAttempts) throw failure;
        const backoff =
          this.o.random() * Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempt - 1));
        // A server that says when to come back knows better than our guess, within our cap.
        const told = failure.retryAfterSeconds !== undefined ? failure.retryAfterSeconds * 1000 : 0;
        await this.o.sleep(Math.min(this.o.maxDelayMs, Math.max(backoff, told)), signal);
      }
    }
  }

  private async embedBatch(batch: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    const res = await this.options.client.embeddings.create(
      { model: this.model, input: batch, dimensions: this.dimensions },
      { signal, timeout: this.o.timeoutMs, maxRetries: 0 },
    );
    if (res.data.length !== batch.length) {
      throw new ModelCallError(
        this.model,
        'malformed',
        `${this.model} returned ${res.data.length} vectors for ${batch.length} inputs`,
      );
    }
    const vectors = [...res.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    const wrong = vectors.find((v) => v.length !== this.dimensions);
    if (wrong) {
      throw new LlmConfigurationError(
        this.model,
        'configuration',
        `${this.model} returned vectors of ${wrong.length} dimensions but EMBEDDING_DIMENSIONS is ${this.dimensions}; ` +
          'set EMBEDDING_DIMENSIONS to what the model produces and run `npm run reindex`',
      );
    }
    return vectors;
  }
}

import type { CircuitBreaker } from './circuit-breaker.js';
import { AllModelsFailedError, type FailureKind, ModelCallError } from './errors.js';
import { countChatPromptTokens, countTokens } from './tokens.js';
import type { ChatMessage, ChatProvider, TokenUsage } from './types.js';

/**
 * One model call, reported once it is over: exactly what a usage-ledger row and the request metrics need.
 * Calls that failed before any token report zero tokens (a refused or unanswered request streamed nothing to
 * count); calls that streamed text without a usage chunk report tokens counted with the o200k tokenizer and
 * `estimated: true`.
 */
export interface AttemptRecord extends TokenUsage {
  model: string;
  /** 1 for the first network call of this answer, 2 for the next... (skipped models do not count). */
  attempt: number;
  /** Values of the `status` label of `openai_request_total`. */
  outcome: 'success' | 'error';
  /** Why it failed, when it did. */
  failure?: FailureKind;
  durationMs: number;
  estimated: boolean;
}

/** The chain moved on from one model to the next (after a failure, or because `from`'s circuit is open). */
export interface FallbackRecord {
  from: string;
  to: string;
  reason: FailureKind;
}

/** What {@link FallbackChain.stream} yields. Exactly one `done` or `error` event ends every stream. */
export type ChainEvent =
  | { type: 'token'; text: string }
  | ({ type: 'fallback' } & FallbackRecord)
  | {
      type: 'done';
      /** The model that answered. */
      model: string;
      text: string;
      usage: TokenUsage;
      estimated: boolean;
      fallbacks: FallbackRecord[];
      attempts: AttemptRecord[];
    }
  | {
      /** The model failed after its first token: the answer is incomplete and no other model is tried. */
      type: 'error';
      model: string;
      partialText: string;
      error: ModelCallError;
      fallbacks: FallbackRecord[];
      attempts: AttemptRecord[];
    };

export interface ChainRequest {
  messages: ChatMessage[];
  signal?: AbortSignal;
  /** Called once per network call when it ends (success, failure, or the consumer stopped reading). */
  onAttempt?: (attempt: AttemptRecord) => void;
  /** Called when the chain moves on to the next model. */
  onFallback?: (fallback: FallbackRecord) => void;
}

export interface FallbackChainOptions {
  /** Models in order of preference, e.g. CHAT_MODELS = gpt-4o, gpt-4o-mini. */
  models: readonly string[];
  /** The provider serving a model (the OpenAI provider for OpenAI models, the local one for `local`). */
  providerFor: (model: string) => ChatProvider;
  /** Longest wait for the first token and between tokens (LLM_TIMEOUT_MS). */
  timeoutMs: number;
  /** Skips models that keep failing. @default none */
  breaker?: CircuitBreaker;
  /** Milliseconds clock for call durations. @default performance.now */
  now?: () => number;
}

/**
 * Answers from the first model of the chain that works. A failure before the first token moves on to the next
 * model (recorded as a fallback); after the first token the text already reached the user, so the stream ends
 * with an `error` event carrying the partial answer instead. A client abort or a configuration error stops the
 * chain and is thrown. When no model produced a token, {@link AllModelsFailedError} is thrown.
 *
 * Metrics stay out of here: the caller turns `onAttempt` / `onFallback` (or the events) into ledger rows and
 * prom-client increments, from the same record.
 */
export class FallbackChain {
  readonly models: readonly string[];

  constructor(private readonly options: FallbackChainOptions) {
    if (options.models.length === 0) throw new RangeError('A fallback chain needs at least one model');
    this.models = options.models;
  }

  get breaker(): CircuitBreaker | undefined {
    return this.options.breaker;
  }

  async *stream(req: ChainRequest): AsyncGenerator<ChainEvent, void, undefined> {
    const { breaker, timeoutMs } = this.options;
    const now = this.options.now ?? (() => performance.now());
    const attempts: AttemptRecord[] = [];
    const fallbacks: FallbackRecord[] = [];
    const failures: ModelCallError[] = [];
    let previous: ModelCallError | undefined;

    for (const model of this.models) {
      if (previous) {
        const fallback: FallbackRecord = { from: previous.model, to: model, reason: previous.kind };
        fallbacks.push(fallback);
        req.onFallback?.(fallback);
        yield { type: 'fallback', ...fallback };
      }
      if (breaker && !breaker.canAttempt(model)) {
        previous = new ModelCallError(
          model,
          'circuit_open',
          `${model} is skipped: its circuit is open after repeated failures`,
        );
        failures.push(previous);
        continue;
      }

      const started = now();
      let text = '';
      let usage: TokenUsage | undefined;
      let reported = false;
      const report = (outcome: AttemptRecord['outcome'], failure?: FailureKind): AttemptRecord => {
        reported = true;
        const counted = usage ?? {
          inputTokens: text ? countChatPromptTokens(req.messages) : 0,
          outputTokens: countTokens(text),
        };
        const record: AttemptRecord = {
          model,
          attempt: attempts.length + 1,
          outcome,
          ...(failure ? { failure } : {}),
          durationMs: now() - started,
          inputTokens: counted.inputTokens,
          outputTokens: counted.outputTokens,
          estimated: usage === undefined && text !== '',
        };
        attempts.push(record);
        req.onAttempt?.(record);
        return record;
      };

      try {
        for await (const event of this.options.providerFor(model).stream({
          model,
          messages: req.messages,
          signal: req.signal,
          timeoutMs,
        })) {
          if (event.type === 'token') {
            text += event.text;
            yield { type: 'token', text: event.text };
          } else {
            usage = { inputTokens: event.inputTokens, outputTokens: event.outputTokens };
          }
        }
        const record = report('success');
        breaker?.recordSuccess(model);
        yield {
          type: 'done',
          model,
          text,
          usage: { inputTokens: record.inputTokens, outputTokens: record.outputTokens },
          estimated: record.estimated,
          fallbacks,
          attempts,
        };
        return;
      } catch (err) {
        const error =
          err instanceof ModelCallError
            ? err
            : new ModelCallError(model, 'connection', `${model} failed: ${String(err)}`, { cause: err });
        report('error', error.kind);
        if (error.retryable) breaker?.recordFailure(model);
        if (!error.retryable) throw error;
        if (text !== '') {
          yield { type: 'error', model, partialText: text, error, fallbacks, attempts };
          return;
        }
        previous = error;
        failures.push(error);
      } finally {
        // The consumer stopped reading mid-answer (client gone): the tokens so far were still spent.
        if (!reported) report('error', 'aborted');
      }
    }
    throw new AllModelsFailedError(failures);
  }
}

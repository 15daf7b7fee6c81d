import OpenAI from 'openai';

/**
 * Why a model call failed. Every kind except `configuration` and `aborted` is worth trying the next model for:
 * the request itself was fine, the service was not.
 */
export type FailureKind =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'malformed'
  | 'interrupted'
  | 'circuit_open'
  | 'configuration'
  | 'aborted';

const NOT_RETRYABLE: ReadonlySet<FailureKind> = new Set(['configuration', 'aborted']);

/** A failed model call, classified so callers can decide without knowing the provider or its SDK. */
export class ModelCallError extends Error {
  override name = 'ModelCallError';
  constructor(
    readonly model: string,
    readonly kind: FailureKind,
    message: string,
    options: { cause?: unknown; status?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
  /** HTTP status from the provider, when there was a response. */
  readonly status: number | undefined;
  /** The provider's `retry-after`, in seconds, when it sent one. */
  readonly retryAfterSeconds: number | undefined;
  /** True when another attempt (the next model, or a retry later) may succeed. */
  get retryable(): boolean {
    return !NOT_RETRYABLE.has(this.kind);
  }
}

/**
 * The provider refused the request itself (400/401/403/404/422): a wrong key, model name or base URL. Trying
 * another model would hide the mistake, so it is surfaced to the operator instead.
 */
export class LlmConfigurationError extends ModelCallError {
  override name = 'LlmConfigurationError';
}

/** Every model of the chain failed (or was skipped by its circuit breaker) before producing a token. */
export class AllModelsFailedError extends Error {
  override name = 'AllModelsFailedError';
  constructor(readonly failures: readonly ModelCallError[]) {
    super(
      `All language models failed: ${failures.map((f) => `${f.model} (${f.kind}${f.status ? ` ${f.status}` : ''})`).join(', ')}`,
    );
  }
}

function hint(status: number): string {
  if (status === 401 || status === 403) return 'check OPENAI_API_KEY';
  if (status === 404) return 'check the model name in CHAT_MODELS / EMBEDDING_MODEL and OPENAI_BASE_URL';
  return 'the request was rejected as invalid';
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/**
 * Classifies anything the `openai` SDK (or the stream under it) throws.
 * @param timedOut our own timer aborted the call, so an abort means "timeout", not "the client left".
 */
export function classifyOpenAIError(model: string, err: unknown, timedOut = false): ModelCallError {
  if (err instanceof ModelCallError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new ModelCallError(model, 'timeout', `${model} did not answer in time`, { cause: err });
  }
  const aborted =
    err instanceof OpenAI.APIUserAbortError || (err instanceof Error && err.name === 'AbortError');
  if (aborted) {
    return timedOut
      ? new ModelCallError(model, 'timeout', `${model} did not answer in time`, { cause: err })
      : new ModelCallError(model, 'aborted', `The call to ${model} was cancelled`, { cause: err });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new ModelCallError(model, 'connection', `Could not reach ${model}: ${err.message}`, {
      cause: err,
    });
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    const opts = { cause: err, status, retryAfterSeconds: retryAfter(err.headers) };
    if (status === 429)
      return new ModelCallError(model, 'rate_limited', `${model} is rate limited (429)`, opts);
    if (status === undefined || status >= 500) {
      return new ModelCallError(
        model,
        'server_error',
        `${model} failed on the provider (${status ?? 'error in stream'})`,
        opts,
      );
    }
    if (status === 408 || status === 409) {
      return new ModelCallError(model, 'server_error', `${model} failed transiently (${status})`, opts);
    }
    return new LlmConfigurationError(
      model,
      'configuration',
      `The language provider rejected the request for ${model} with ${status}: ${hint(status)}`,
      opts,
    );
  }
  if (err instanceof SyntaxError) {
    return new ModelCallError(model, 'malformed', `${model} sent a response that is not valid JSON`, {
      cause: err,
    });
  }
  // Anything else comes from the socket under a stream (undici's "terminated", ECONNRESET...).
  const message = err instanceof Error ? err.message : String(err);
  return new ModelCallError(model, 'connection', `The connection to ${model} failed: ${message}`, {
    cause: err,
  });
}

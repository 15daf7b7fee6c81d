/**
 * The metric catalog: the one place where DocuChat's metrics are named.
 *
 * The server registers its prom-client metrics from these definitions; alert rules and dashboards refer to
 * metrics only through them, so renaming a metric or a label breaks the type check everywhere it is used.
 */

export type MetricType = 'counter' | 'histogram' | 'gauge';

export interface MetricDefinition<L extends string = string> {
  /** Prometheus metric name (without `_bucket`/`_sum`/`_count` suffixes for histograms). */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly L[];
  /** Histogram buckets in seconds; only for histograms. */
  readonly buckets?: readonly number[];
}

function define<const L extends string, const T extends MetricType>(
  def: MetricDefinition<L> & { readonly type: T },
): MetricDefinition<L> & { readonly type: T } {
  return Object.freeze({ ...def, labelNames: Object.freeze([...def.labelNames]) });
}

/** Latency buckets for HTTP requests: sub-millisecond health checks up to long streamed answers. */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 5, 10, 30, 60,
] as const;
/** Latency buckets for model calls: a streamed answer takes seconds, a timeout up to a minute. */
export const OPENAI_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60] as const;
/** Latency buckets for retrieval: milliseconds on a warm index, up to seconds when something is wrong. */
export const RETRIEVAL_DURATION_BUCKETS = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;
/** Buckets for indexing one document: a page takes milliseconds, a 2,000-page PDF minutes. */
export const INGESTION_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] as const;
/** Buckets for the attempts a document took (1 = first try; the default limit is 3). */
export const INGESTION_ATTEMPT_BUCKETS = [1, 2, 3, 5, 10] as const;

export const metrics = {
  openaiTokensTotal: define({
    name: 'openai_tokens_total',
    help: 'Language model tokens consumed, by tenant, direction (in = prompt, out = completion) and model.',
    type: 'counter',
    labelNames: ['tenant', 'direction', 'model'],
  }),
  mlFallbackTotal: define({
    name: 'ml_fallback_total',
    help: 'Answers that fell back from one model to the next in the chain.',
    type: 'counter',
    labelNames: ['from_model', 'to_model', 'tenant'],
  }),
  httpRequestDurationSeconds: define({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route pattern and status code.',
    type: 'histogram',
    labelNames: ['method', 'endpoint', 'status'],
    buckets: HTTP_DURATION_BUCKETS,
  }),
  openaiRequestTotal: define({
    name: 'openai_request_total',
    help: 'Language model calls, by tenant, model and outcome (success or error).',
    type: 'counter',
    labelNames: ['tenant', 'model', 'status'],
  }),
  openaiRequestDurationSeconds: define({
    name: 'openai_request_duration_seconds',
    help: 'Language model call duration in seconds, until the last token.',
    type: 'histogram',
    labelNames: ['tenant', 'model'],
    buckets: OPENAI_DURATION_BUCKETS,
  }),
  ragQueryTotal: define({
    name: 'rag_query_total',
    help: 'Questions answered with retrieval, by tenant and the model that answered.',
    type: 'counter',
    labelNames: ['tenant', 'model'],
  }),
  documentChunksTotal: define({
    name: 'document_chunks_total',
    help: 'Document chunks currently stored, by tenant.',
    type: 'gauge',
    labelNames: ['tenant'],
  }),
  ragRetrievalDurationSeconds: define({
    name: 'rag_retrieval_duration_seconds',
    help: "Retrieval time of a chat turn in seconds (vector and BM25 search and their fusion, in the tenant's transaction).",
    type: 'histogram',
    labelNames: [],
    buckets: RETRIEVAL_DURATION_BUCKETS,
  }),
  ragNothingFoundTotal: define({
    name: 'rag_nothing_found_total',
    help: 'Questions answered "nothing relevant found" because no passage passed the relevance floor, by tenant.',
    type: 'counter',
    labelNames: ['tenant'],
  }),
  messageFeedbackTotal: define({
    name: 'message_feedback_total',
    help: 'Answers rated by their readers, by tenant and rating (up or down); a changed rating counts again.',
    type: 'counter',
    labelNames: ['tenant', 'rating'],
  }),
  ingestionJobsWaiting: define({
    name: 'ingestion_jobs_waiting',
    help: 'Documents waiting to be indexed (queued, or their worker died and the lease has not run out), all teams.',
    type: 'gauge',
    labelNames: [],
  }),
  ingestionJobsInProgress: define({
    name: 'ingestion_jobs_in_progress',
    help: 'Documents this process is indexing right now.',
    type: 'gauge',
    labelNames: [],
  }),
  ingestionOldestJobAgeSeconds: define({
    name: 'ingestion_oldest_job_age_seconds',
    help: 'Age of the oldest document still processing (uploaded and not yet ready or failed), all teams.',
    type: 'gauge',
    labelNames: [],
  }),
  ingestionDocumentsFailedTotal: define({
    name: 'ingestion_documents_failed_total',
    help: 'Documents that failed indexing, by reason (timeout, crashed, interrupted, no_text, unreadable, embedding_failed, storage_failed, indexing_failed).',
    type: 'counter',
    labelNames: ['reason'],
  }),
  ingestionDurationSeconds: define({
    name: 'ingestion_duration_seconds',
    help: 'Time to index one document in its last attempt (chunk, embed, store), by outcome (ready or failed).',
    type: 'histogram',
    labelNames: ['outcome'],
    buckets: INGESTION_DURATION_BUCKETS,
  }),
  ingestionAttempts: define({
    name: 'ingestion_attempts',
    help: 'Attempts a document took to end ready or failed (crashes, timeouts and lost leases count).',
    type: 'histogram',
    labelNames: ['outcome'],
    buckets: INGESTION_ATTEMPT_BUCKETS,
  }),
} as const;

/** The label names a catalog metric accepts. */
export type LabelsOf<M> = M extends MetricDefinition<infer L> ? L : never;

/** Values of the `status` label of `openai_request_total`. */
export const OPENAI_REQUEST_STATUS = { success: 'success', error: 'error' } as const;
/** Values of the `rating` label of `message_feedback_total`. */
export const FEEDBACK_RATING = { up: 'up', down: 'down' } as const;
/** Values of the `direction` label of `openai_tokens_total`. */
export const TOKEN_DIRECTION = { in: 'in', out: 'out' } as const;
/** Values of the `reason` label of `ingestion_documents_failed_total` (the API's `failure_reason`). */
export const INGESTION_FAILURE_REASONS = [
  'unreadable',
  'no_text',
  'timeout',
  'crashed',
  'interrupted',
  'embedding_failed',
  'storage_failed',
  'indexing_failed',
] as const;
/** The `endpoint` label for requests that matched no route, so unknown URLs cannot explode cardinality. */
export const UNMATCHED_ENDPOINT = 'unmatched';

/**
 * prom-client's default process metrics that operations code relies on. They are not ours to define, but rules
 * and dashboards name them through here too.
 */
export const processMetrics = {
  residentMemoryBytes: 'process_resident_memory_bytes',
  cpuSecondsTotal: 'process_cpu_seconds_total',
} as const;

export const allMetricNames: readonly string[] = [
  ...Object.values(metrics).map((m) => m.name),
  ...Object.values(processMetrics),
];

import { createHash, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config/index.js';
import { withTenant } from '../../db/index.js';
import { OPENAI_REQUEST_STATUS, TOKEN_DIRECTION } from '../../telemetry/metrics.js';
import type { AuthContext } from '../accounts/repository.js';
import type { Cache } from '../cache/index.js';
import type { Embedder } from '../embeddings/types.js';
import { HttpError, notFound } from '../errors.js';
import { AllModelsFailedError, ModelCallError } from '../llm/errors.js';
import type { AttemptRecord, FallbackChain, FallbackRecord } from '../llm/fallback-chain.js';
import type { ServerMetrics } from '../metrics.js';
import { type RetrievedChunk, retrieveForTenant, vectorWeightFor } from '../rag/retrieval.js';
import { assertWithinBudget } from './budget.js';
import {
  ANSWER_PENDING_SECONDS,
  type Citation,
  conversationExists,
  conversationHistory,
  insertMessage,
  renewPendingAnswer,
  startConversation,
} from './conversations.js';
import { buildPrompt, nothingFoundAnswer } from './prompt.js';

export interface ChatServiceDeps {
  pool: pg.Pool;
  cache: Cache;
  embedder: Embedder;
  chain: FallbackChain;
  metrics: ServerMetrics;
  config: Pick<
    Config,
    'RETRIEVAL_TOP_K' | 'HISTORY_TOKEN_BUDGET' | 'BILLING_TIMEZONE' | 'RETRIEVAL_MIN_SIMILARITY'
  >;
}

/** What a chat turn streams; the route turns each into an SSE event (or folds them into one JSON body). */
export type ChatTurnEvent =
  | { type: 'sources'; conversation_id: string; user_message_id: string; sources: Citation[] }
  | { type: 'token'; text: string }
  | { type: 'fallback'; from: string; to: string; reason: string }
  | {
      type: 'done';
      conversation_id: string;
      message_id: string;
      model: string | null;
      fallback: boolean;
      usage: { input_tokens: number; output_tokens: number; estimated: boolean };
    }
  | {
      type: 'error';
      error: 'models_unavailable' | 'model_failed' | 'model_misconfigured';
      message: string;
      conversation_id: string;
      /** The partial answer, stored and marked incomplete, when the failure came after the first token. */
      message_id: string | null;
    };

const SNIPPET_CHARS = 320;
const QUERY_EMBEDDING_TTL_SECONDS = 24 * 3600;

export class ChatService {
  private readonly seriesReady = new Set<string>();

  constructor(private readonly deps: ChatServiceDeps) {}

  /**
   * One question and its answer. The user's message is committed first, so it is kept whatever happens to the
   * models; the answer, its citations and one usage-ledger row per model call are committed together; the
   * metrics move from the same records after that commit.
   */
  async *turn(
    auth: AuthContext,
    /** `version_of`: the turn asked again (regenerated or edited), see app/server/routes/message-versions.ts. */
    input: { message: string; conversation_id?: string; version_of?: string },
    signal: AbortSignal,
    log: FastifyBaseLogger,
  ): AsyncGenerator<ChatTurnEvent> {
    const { pool, config } = this.deps;
    const question = input.message.trim();
    // The question's embedding is computed while its turn is recorded; a refused turn never reads it.
    const embedding = this.embedQuestion(auth.tenantId, question);
    embedding.catch(() => {});
    // Every statement of this transaction holds the embedded database's one backend until COMMIT: a new
    // conversation and its question go in as one statement.
    const { conversationId, userMessageId, history } = await withTenant(pool, auth.tenantId, async (db) => {
      await assertWithinBudget(db, auth, config.BILLING_TIMEZONE);
      const conversationId = input.conversation_id;
      if (!conversationId) {
        const started = await startConversation(db, {
          tenantId: auth.tenantId,
          userId: auth.userId,
          title: title(question),
          content: question,
        });
        return { conversationId: started.conversationId, userMessageId: started.messageId, history: [] };
      }
      if (!(await conversationExists(db, auth.tenantId, conversationId))) throw notFound('Conversation');
      const history = await conversationHistory(db, auth.tenantId, conversationId, input.version_of);
      const userMessageId = await insertMessage(db, {
        tenantId: auth.tenantId,
        conversationId,
        role: 'user',
        content: question,
        versionOf: input.version_of,
      });
      return { conversationId, userMessageId, history };
    });

    const chunks = await this.retrieve(auth, question, await embedding, history);
    const sources: Citation[] = chunks.map((c, i) => ({
      n: i + 1,
      document_id: c.documentId,
      document_name: c.documentName,
      chunk_id: c.chunkId,
      page: c.pageStart,
      page_end: c.pageEnd,
      heading_path: c.headingPath,
      snippet: c.content.length > SNIPPET_CHARS ? `${c.content.slice(0, SNIPPET_CHARS)}…` : c.content,
    }));
    yield { type: 'sources', conversation_id: conversationId, user_message_id: userMessageId, sources };

    if (chunks.length === 0) {
      const answer = nothingFoundAnswer(question);
      yield { type: 'token', text: answer };
      const messageId = await withTenant(pool, auth.tenantId, (db) =>
        insertMessage(db, { tenantId: auth.tenantId, conversationId, role: 'assistant', content: answer }),
      );
      yield {
        type: 'done',
        conversation_id: conversationId,
        message_id: messageId,
        model: null,
        fallback: false,
        usage: { input_tokens: 0, output_tokens: 0, estimated: false },
      };
      return;
    }

    this.ensureSeries(auth.tenantSlug);
    const requestId = randomUUID();
    const messages = buildPrompt(question, chunks, history, config.HISTORY_TOKEN_BUDGET);
    const attempts: AttemptRecord[] = [];
    const fallbacks: FallbackRecord[] = [];
    let text = '';
    // While the answer streams, the question is marked in progress; a crash lets the mark run out (interrupted).
    const heartbeat = setInterval(
      () => {
        withTenant(pool, auth.tenantId, (db) => renewPendingAnswer(db, conversationId)).catch(() => {});
      },
      (ANSWER_PENDING_SECONDS * 1000) / 3,
    );
    try {
      for await (const event of this.deps.chain.stream({
        messages,
        signal,
        onAttempt: (a) => attempts.push(a),
        onFallback: (f) => fallbacks.push(f),
      })) {
        if (event.type === 'token') {
          text += event.text;
          yield event;
        } else if (event.type === 'fallback') {
          log.warn({ from: event.from, to: event.to, reason: event.reason }, 'model fallback');
          yield { type: 'fallback', from: event.from, to: event.to, reason: event.reason };
        } else if (event.type === 'done') {
          const messageId = await this.commit(auth, requestId, conversationId, attempts, fallbacks, {
            content: event.text,
            citations: sources,
            model: event.model,
            fallback: fallbacks.length > 0,
          });
          yield {
            type: 'done',
            conversation_id: conversationId,
            message_id: messageId,
            model: event.model,
            fallback: fallbacks.length > 0,
            usage: {
              input_tokens: event.usage.inputTokens,
              output_tokens: event.usage.outputTokens,
              estimated: event.estimated,
            },
          };
          return;
        } else {
          log.warn(
            { model: event.model, kind: event.error.kind },
            'answer interrupted after the first token',
          );
          const messageId = await this.commit(auth, requestId, conversationId, attempts, fallbacks, {
            content: event.partialText,
            citations: sources,
            model: event.model,
            fallback: fallbacks.length > 0,
            incomplete: true,
            error: `The answer was interrupted (${event.error.kind})`,
          });
          yield {
            type: 'error',
            error: 'model_failed',
            message: `The answer from ${event.model} was interrupted; the partial answer is kept and marked incomplete.`,
            conversation_id: conversationId,
            message_id: messageId,
          };
          return;
        }
      }
    } catch (error) {
      if (signal.aborted) {
        // The user stopped the answer or left: keep what was said, and account for the tokens spent.
        await this.commit(auth, requestId, conversationId, attempts, fallbacks, {
          content: text,
          citations: sources,
          model: attempts.at(-1)?.model ?? null,
          fallback: fallbacks.length > 0,
          incomplete: true,
          error: 'Stopped before the answer was complete',
        });
        return;
      }
      await this.commit(auth, requestId, conversationId, attempts, fallbacks, undefined);
      if (error instanceof AllModelsFailedError) {
        log.error({ err: error.message }, 'all language models failed');
        yield {
          type: 'error',
          error: 'models_unavailable',
          message:
            'The language models are unavailable right now. Your question is saved; please try again shortly.',
          conversation_id: conversationId,
          message_id: null,
        };
        return;
      }
      if (error instanceof ModelCallError) {
        log.error({ err: error.message, kind: error.kind }, 'language model call refused');
        yield {
          type: 'error',
          error: 'model_misconfigured',
          message: 'The language model refused the request; the operator has been notified in the logs.',
          conversation_id: conversationId,
          message_id: null,
        };
        return;
      }
      throw error;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * Creates a tenant's request series at zero before its first model call: Prometheus takes a new series' first
   * value as its start, so without this the first burst of errors would never show in `rate()` or the alerts.
   */
  private ensureSeries(tenant: string) {
    if (this.seriesReady.has(tenant)) return;
    this.seriesReady.add(tenant);
    for (const model of this.deps.chain.models) {
      for (const status of Object.values(OPENAI_REQUEST_STATUS))
        this.deps.metrics.openaiRequestTotal.inc({ tenant, model, status }, 0);
    }
  }

  /** The question's vector, from the cache or the embedder; an embedder outage is a 503 (the question is kept). */
  private async embedQuestion(tenantId: string, question: string): Promise<number[]> {
    const { embedder, cache } = this.deps;
    const key = `qemb:${embedder.model}:${embedder.dimensions}:${createHash('sha256').update(question).digest('hex')}`;
    const cached = await cache.get(tenantId, key);
    if (cached) return JSON.parse(cached) as number[];
    let vector: number[];
    try {
      vector = (await embedder.embed([question]))[0]!;
    } catch (error) {
      // The question is saved by the time this is read; the embedding service (after its own retries) failed.
      throw new HttpError(
        503,
        'embeddings_unavailable',
        `The embedding service is unavailable (${(error as Error).message.slice(0, 120)}); your question is saved, please try again shortly.`,
        { 'retry-after': '30' },
      );
    }
    await cache.set(tenantId, key, JSON.stringify(vector), QUERY_EMBEDDING_TTL_SECONDS);
    return vector;
  }

  /** The passages for a question; the user's earlier messages lend their words at lower weight (follow-ups). */
  private async retrieve(
    auth: AuthContext,
    question: string,
    vector: number[],
    history: ReadonlyArray<{ role: string; content: string }>,
  ): Promise<RetrievedChunk[]> {
    const { pool, config, embedder, metrics } = this.deps;
    const end = metrics.ragRetrievalDurationSeconds.startTimer();
    const chunks = await retrieveForTenant(pool, {
      tenantId: auth.tenantId,
      queryText: question,
      queryVector: vector,
      topK: config.RETRIEVAL_TOP_K,
      minSimilarity: config.RETRIEVAL_MIN_SIMILARITY,
      previousTurns: history
        .filter((m) => m.role === 'user')
        .map((m) => m.content)
        .reverse(),
      vectorWeight: vectorWeightFor(embedder.model),
    });
    end();
    // Incremented by 0 otherwise, so the team's series exists from its first question (Prometheus takes a series'
    // first sample as its start, not as a rise).
    metrics.ragNothingFoundTotal.inc({ tenant: auth.tenantSlug }, chunks.length === 0 ? 1 : 0);
    return chunks;
  }

  /** The answer and its ledger rows in one transaction; then the metrics, from the same records. */
  private async commit(
    auth: AuthContext,
    requestId: string,
    conversationId: string,
    attempts: readonly AttemptRecord[],
    fallbacks: readonly FallbackRecord[],
    answer:
      | {
          content: string;
          citations: Citation[];
          model: string | null;
          fallback: boolean;
          incomplete?: boolean;
          error?: string;
        }
      | undefined,
  ): Promise<string> {
    const messageId = await withTenant(this.deps.pool, auth.tenantId, async (db) => {
      const id = answer
        ? await insertMessage(db, { tenantId: auth.tenantId, conversationId, role: 'assistant', ...answer })
        : null;
      if (!answer) await renewPendingAnswer(db, conversationId, true);
      for (const a of attempts) {
        await db.query(
          `INSERT INTO usage_ledger (tenant_id, user_id, conversation_id, message_id, request_id, attempt, model,
                                     input_tokens, output_tokens, estimated)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            auth.tenantId,
            auth.userId,
            conversationId,
            id,
            requestId,
            a.attempt,
            a.model,
            a.inputTokens,
            a.outputTokens,
            a.estimated,
          ],
        );
      }
      return id ?? '';
    });
    const m = this.deps.metrics;
    const tenant = auth.tenantSlug;
    for (const a of attempts) {
      if (a.inputTokens)
        m.openaiTokensTotal.inc({ tenant, direction: TOKEN_DIRECTION.in, model: a.model }, a.inputTokens);
      if (a.outputTokens)
        m.openaiTokensTotal.inc({ tenant, direction: TOKEN_DIRECTION.out, model: a.model }, a.outputTokens);
      m.openaiRequestTotal.inc({
        tenant,
        model: a.model,
        status: a.outcome === 'success' ? OPENAI_REQUEST_STATUS.success : OPENAI_REQUEST_STATUS.error,
      });
      m.openaiRequestDurationSeconds.observe({ tenant, model: a.model }, a.durationMs / 1000);
    }
    for (const f of fallbacks) m.mlFallbackTotal.inc({ from_model: f.from, to_model: f.to, tenant });
    if (answer?.model && !answer.incomplete) m.ragQueryTotal.inc({ tenant, model: answer.model });
    return messageId;
  }
}

function title(question: string): string {
  const line = question.split('\n')[0]!.trim();
  return line.length > 80 ? `${line.slice(0, 77)}…` : line || 'New conversation';
}

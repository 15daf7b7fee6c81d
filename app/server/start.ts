import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import { billingRoutes } from '../../billing/routes.js';
import { type Config, loadConfig } from '../config/index.js';
import { type Database, openDatabase } from '../db/index.js';
import { INGESTION_FAILURE_REASONS } from '../telemetry/metrics.js';
import { buildApp } from './app.js';
import { createCache } from './cache/index.js';
import { ChatService } from './chat/service.js';
import { IngestionPool } from './documents/ingestion-pool.js';
import { IngestionWorker } from './documents/ingestion-worker.js';
import { countChunksByTenant, documentsEmbeddedOtherwise, readQueueStats } from './documents/repository.js';
import { EmbeddedMaintenance } from './embedded-maintenance.js';
import { createEmbedder } from './embeddings/create-embedder.js';
import { createChatBackend } from './llm/create-chat-backend.js';
import { loggerOptions } from './logger.js';
import { createServerMetrics } from './metrics.js';
import chatRoutes from './routes/chat.js';
import conversationRoutes from './routes/conversations.js';
import documentTextRoutes from './routes/document-text.js';
import documentRoutes from './routes/documents.js';
import feedbackRoutes from './routes/feedback.js';
import messageVersionRoutes from './routes/message-versions.js';
import { resolveJwtSecret } from './secrets.js';
import { StorageHealth } from './storage-faults.js';

const QUEUE_STATS_MS = 5_000;

export interface RunningDocuChat {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  app: FastifyInstance;
  db: Database;
  config: Config;
  logger: pino.Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where logs go (default: stdout). Tests pass a stream to inspect them. */
  logStream?: DestinationStream;
}

/** Loads configuration, opens the database and cache, and serves the API. */
export async function startDocuChat(
  env: NodeJS.ProcessEnv = process.env,
  options: StartOptions = {},
): Promise<RunningDocuChat> {
  const config = loadConfig(env);
  const logger = pino(
    loggerOptions(config.LOG_LEVEL),
    options.logStream ?? pino.destination({ sync: false }),
  );
  const db = await openDatabase(config);
  const cache = createCache(config.REDIS_URL, logger);
  const metrics = createServerMetrics();
  const embedder = createEmbedder(config);
  const chain = createChatBackend(config);
  const chat = new ChatService({ pool: db.pool, cache, embedder, chain, metrics, config });
  const tenantSlugs = new Map<string, string>();
  const slugOf = async (tenantId: string) => {
    let slug = tenantSlugs.get(tenantId);
    if (!slug) {
      const { rows } = await db.pool.query<{ slug: string }>('SELECT slug FROM tenants WHERE id = $1', [
        tenantId,
      ]);
      slug = rows[0]?.slug ?? tenantId;
      tenantSlugs.set(tenantId, slug);
    }
    return slug;
  };
  // PGlite has no autovacuum (single-user mode): the server keeps the embedded database's statistics itself.
  const maintenance = db.embedded ? new EmbeddedMaintenance(db.pool, logger) : undefined;
  // Parsing, chunking, tokenizing and offline embedding run in these threads, never on the event loop.
  const ingestion = new IngestionPool({
    ...(config.INGEST_THREADS && { threads: config.INGEST_THREADS }),
    timeoutMs: config.INGEST_TIMEOUT_SECONDS * 1000,
  });
  const storage = new StorageHealth();
  const worker = new IngestionWorker({
    pool: db.pool,
    embedder,
    logger,
    threads: ingestion,
    chunkTokens: config.CHUNK_TOKENS,
    overlapTokens: config.CHUNK_OVERLAP_TOKENS,
    leaseMs: config.INGEST_LEASE_SECONDS * 1000,
    maxAttempts: config.INGEST_MAX_ATTEMPTS,
    releaseOrphanedLeases: db.embedded,
    onFinished: ({ status, reason, seconds, attempts }) => {
      metrics.ingestionDurationSeconds.observe({ outcome: status }, seconds);
      metrics.ingestionAttempts.observe({ outcome: status }, attempts);
      if (reason) metrics.ingestionDocumentsFailedTotal.inc({ reason });
    },
    onStorageFailure: () => storage.noteFailure(),
    onChunksStored: (tenantId, count) => {
      maintenance?.kick();
      slugOf(tenantId)
        .then((tenant) => metrics.documentChunksTotal.inc({ tenant }, count))
        .catch((error: Error) => logger.warn({ err: error.message }, 'document_chunks_total not updated'));
    },
  });
  // The queue across teams, for the operators' gauges: every 5 s, one small statement.
  // Series exist from the start, so rate() and the panels see the first failure.
  for (const reason of INGESTION_FAILURE_REASONS) metrics.ingestionDocumentsFailedTotal.inc({ reason }, 0);
  for (const outcome of ['ready', 'failed']) {
    metrics.ingestionDurationSeconds.zero({ outcome });
    metrics.ingestionAttempts.zero({ outcome });
  }
  const queueStats = setInterval(() => {
    metrics.ingestionJobsInProgress.set(worker.inProgress);
    readQueueStats(db.pool)
      .then((stats) => {
        metrics.ingestionJobsWaiting.set(stats.waiting);
        metrics.ingestionOldestJobAgeSeconds.set(stats.oldestSeconds);
      })
      .catch(() => {});
  }, QUEUE_STATS_MS);
  queueStats.unref();
  let app: FastifyInstance | undefined;
  try {
    // The gauge reflects what is stored, also after a restart.
    for (const { slug, chunks } of await countChunksByTenant(db.pool))
      metrics.documentChunksTotal.set({ tenant: slug }, chunks);
    // A warning, not a refusal: one database may hold teams indexed under earlier settings on purpose (a reindex
    // still to run, a shared test database); what must not happen is answering from them without saying so.
    const otherwise = await documentsEmbeddedOtherwise(db.pool, embedder.model);
    if (otherwise.length > 0) {
      logger.warn(
        { embeddingModel: embedder.model, indexedWith: otherwise },
        `${otherwise.map((o) => `${o.documents} document(s) were indexed with ${o.model}`).join(', ')}, but this server embeds questions with ${embedder.model}: vector search cannot find their chunks until \`npm run reindex\` re-embeds them`,
      );
    }
    app = await buildApp({
      config,
      db,
      cache,
      metrics,
      logger,
      jwtSecret: resolveJwtSecret(config.JWT_SECRET, config.dataDir, logger),
      llmHealth: () => {
        const breaker = chain.breaker;
        return breaker && chain.models.every((m) => !breaker.canAttempt(m)) ? 'degraded' : 'ok';
      },
      storage,
      extraRoutes: async (api) => {
        await api.register(documentRoutes, {
          prefix: '/documents',
          pool: db.pool,
          ingestion,
          maxUploadBytes: config.MAX_UPLOAD_BYTES,
          onUploaded: () => worker.kick(),
          onDeleted: (tenant, chunks) => metrics.documentChunksTotal.dec({ tenant }, chunks),
        });
        await api.register(documentTextRoutes, { prefix: '/documents', pool: db.pool });
        await api.register(chatRoutes, { chat });
        await api.register(messageVersionRoutes, { pool: db.pool, chat });
        await api.register(feedbackRoutes, { pool: db.pool, metrics });
        await api.register(conversationRoutes, { prefix: '/conversations', pool: db.pool });
        await api.register(billingRoutes, { prefix: '/billing', db, config });
      },
    });
    app.addHook('onClose', async () => {
      clearInterval(queueStats);
      await worker.stop();
      await ingestion.close();
      await maintenance?.stop();
      await cache.close();
      await db.close();
    });
    await app.listen({ host: config.HOST, port: config.PORT });
    worker.start();
    maintenance?.start();
  } catch (error) {
    clearInterval(queueStats);
    await worker.stop();
    await ingestion.close();
    await maintenance?.stop();
    await app?.close();
    await cache.close();
    await db.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const running = app;
  return { url: `http://${host}:${port}`, app: running, db, config, logger, close: () => running.close() };
}

import { randomUUID } from 'node:crypto';
import fastifyCors from '@fastify/cors';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { API_PREFIX, OPENAPI_DOCS_PATH } from '../config/http.js';
import type { Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import type { Cache } from './cache/index.js';
import type { ServerMetrics } from './metrics.js';
import authPlugin from './plugins/auth.js';
import errorHandling from './plugins/errors.js';
import httpMetrics from './plugins/http-metrics.js';
import textInput from './plugins/text-input.js';
import webApp from './plugins/web.js';
import authRoutes from './routes/auth.js';
import healthRoutes from './routes/health.js';
import limitsRoutes from './routes/limits.js';
import metricsRoutes from './routes/metrics.js';
import type { StorageHealth } from './storage-faults.js';

export interface AppServices {
  config: Config;
  db: Database;
  cache: Cache;
  metrics: ServerMetrics;
  logger: Logger;
  jwtSecret: string;
  /** Health of the language provider chain (degraded when every model's circuit is open). */
  llmHealth(): 'ok' | 'degraded';
  /** What readiness knows about writes (see storage-faults.ts). */
  storage?: StorageHealth;
  /** Registers the routes of later steps (documents, chat, billing) under `/api/v1`. */
  extraRoutes?: (api: FastifyInstance) => Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export async function buildApp(services: AppServices): Promise<FastifyInstance> {
  const { config, db, cache, metrics } = services;
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    requestIdHeader: false,
    // Not `requestIdHeader`: Fastify would take the header as it comes and never call genReqId, so any string
    // a caller sends would become the id in every log line. genReqId reads the header itself and keeps a
    // caller's request id only when it is short and plain; otherwise it makes one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(errorHandling, { onStorageFailure: () => services.storage?.noteFailure() });
  await app.register(textInput);
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        // TLS ends at the ingress; a self-hosted instance on plain HTTP (a LAN address) must still load its assets.
        upgradeInsecureRequests: null,
      },
    },
  });
  if (config.CORS_ORIGINS?.length) {
    await app.register(fastifyCors, { origin: config.CORS_ORIGINS, credentials: false });
  }
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  await app.register(fastifyRateLimit, {
    global: false,
    // Shared counters across replicas when Redis is configured; per process otherwise.
    ...(cache.kind === 'redis'
      ? {
          redis: (cache as unknown as { client: unknown }).client,
          skipOnError: true,
          nameSpace: 'docuchat-ratelimit:',
        }
      : {}),
    errorResponseBuilder: (_request, context) => ({
      statusCode: context.statusCode,
      error: 'rate_limited',
      message: `Too many attempts; try again in ${context.after}`,
    }),
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'DocuChat API', version: '1', description: 'Chat with your documents, per team.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: OPENAPI_DOCS_PATH });
  await app.register(authPlugin, {
    secret: services.jwtSecret,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    pool: db.pool,
  });
  await app.register(httpMetrics, { metrics });

  await app.register(
    async (api) => {
      await api.register(authRoutes, { prefix: '/auth', pool: db.pool, config });
      await api.register(healthRoutes, {
        database: async () => {
          await db.pool.query('SELECT 1');
        },
        ...(services.storage && { storage: () => services.storage!.check(db.pool) }),
        cache: () => cache.health(),
        llm: services.llmHealth,
      });
      await api.register(limitsRoutes, { config });
      await api.register(metricsRoutes, { registry: metrics.registry });
      if (services.extraRoutes) await services.extraRoutes(api);
    },
    { prefix: API_PREFIX },
  );
  // Last, so every API route keeps priority over the web app's catch-all.
  await app.register(webApp, { config });
  return app as unknown as FastifyInstance;
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

export type CheckStatus = 'ok' | 'degraded' | 'down';

export interface HealthRoutesOptions {
  /** Resolves when the database answers; rejects otherwise. */
  database(): Promise<void>;
  /** Resolves when the database can write; rejects while a write fails (disk full, read-only). */
  storage?(): Promise<void>;
  cache(): 'ok' | 'degraded';
  llm(): 'ok' | 'degraded';
}

const Check = Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('down')]);
const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Object({ database: Check, cache: Check, llm: Check }),
  message: Type.Optional(Type.String()),
});

const DATABASE_TIMEOUT_MS = 2_000;

/**
 * Readiness and liveness. Only the database is essential: without the cache the app answers more slowly, and
 * with every model's circuit open it still serves documents, so those report `degraded` with status 200.
 */
const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, sources) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness',
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (_request, reply) => {
      let database: CheckStatus = 'ok';
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          sources.database(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), DATABASE_TIMEOUT_MS);
          }),
        ]);
      } catch {
        database = 'down';
      } finally {
        clearTimeout(timer);
      }
      let storageFailing = false;
      if (database === 'ok' && sources.storage) {
        try {
          await sources.storage();
        } catch {
          database = 'down';
          storageFailing = true;
        }
      }
      const checks = { database, cache: sources.cache(), llm: sources.llm() };
      if (database === 'down') {
        reply.code(503);
        const message = storageFailing
          ? 'database storage is full or unavailable: writes fail'
          : 'database is not reachable';
        return { status: 'unavailable' as const, checks, message };
      }
      return { status: 'ok' as const, checks };
    },
  );

  app.get(
    '/health/live',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
};

export default healthRoutes;

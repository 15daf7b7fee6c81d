import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { renderMetrics } from '../metrics.js';

/** Prometheus text exposition of every catalog metric and the process metrics. */
const metricsRoutes: FastifyPluginAsync<{ registry: Registry }> = async (app, { registry }) => {
  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return renderMetrics(registry);
    },
  );
};

export default metricsRoutes;

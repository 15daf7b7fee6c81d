import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { UNMATCHED_ENDPOINT } from '../../telemetry/metrics.js';
import type { ServerMetrics } from '../metrics.js';

/**
 * Records `http_request_duration_seconds` for every response. The endpoint label is the route pattern
 * (`/api/v1/documents/:id`), never the raw URL, and every unknown URL shares one value, so label cardinality
 * stays bounded whatever clients send.
 */
async function httpMetrics(app: FastifyInstance, { metrics }: { metrics: ServerMetrics }) {
  app.addHook('onResponse', async (request, reply) => {
    const endpoint = request.is404 ? UNMATCHED_ENDPOINT : (request.routeOptions.url ?? UNMATCHED_ENDPOINT);
    metrics.httpRequestDurationSeconds.observe(
      { method: request.method, endpoint, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}

export default fp(httpMetrics, { name: 'docuchat-http-metrics' });

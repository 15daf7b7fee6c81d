import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable } from '../../db/errors.js';
import { HttpError, STATUS_CODES } from '../errors.js';
import { isStorageFailure, STORAGE_FULL_MESSAGE } from '../storage-faults.js';

/** Names the offending field of a schema violation, e.g. `body/password must NOT have fewer than 10 characters`. */
function validationMessage(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return error.message;
  const params = first.params as { missingProperty?: string; additionalProperty?: string; pattern?: string };
  const base = `${error.validationContext ?? 'body'}${first.instancePath}`;
  if (params.missingProperty) return `${base}/${params.missingProperty}: required`;
  if (params.additionalProperty) return `${base}/${params.additionalProperty}: unknown field`;
  // Schemas use the pattern \S for "some text, not only spaces".
  if (params.pattern === '\\S') return `${base}: must contain text, not only spaces`;
  return `${base}: ${first.message ?? 'invalid'}`;
}

/** Seconds a client is asked to wait when the database is unreachable. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Every error leaves as JSON `{ error, message }` with its status. Client errors say what was wrong; server
 * errors are logged with their stack and answered without one.
 */
async function errorHandling(app: FastifyInstance, options: { onStorageFailure?: () => void }) {
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    if (error instanceof HttpError) {
      reply.headers(error.headers);
      return reply.code(error.statusCode).send({ error: error.code, message: error.message });
    }
    if ((error as FastifyError).validation) {
      return reply
        .code(400)
        .send({ error: 'validation_error', message: validationMessage(error as FastifyError) });
    }
    if (isDatabaseUnavailable(error)) {
      // An outage, not a bug: the client may retry, and readiness already reports the database down.
      request.log.error({ err: (error as Error).message }, 'database unavailable');
      return reply.code(503).header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS)).send({
        error: 'service_unavailable',
        message: 'The database is unavailable right now; please try again shortly.',
      });
    }
    if (isStorageFailure(error)) {
      // The disk is full or read-only: say so, and let readiness report it until a write succeeds again.
      request.log.error({ err: (error as Error).message }, 'storage failure');
      options.onStorageFailure?.();
      return reply
        .code(507)
        .header('retry-after', '60')
        .send({ error: 'insufficient_storage', message: STORAGE_FULL_MESSAGE });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = STATUS_CODES[status] ?? 'bad_request';
      const message =
        error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.name === 'SyntaxError'
          ? 'Malformed JSON body'
          : error.message;
      return reply.code(status).send({ error: code, message });
    }
    request.log.error({ err: error }, 'request failed');
    const code = status === 503 ? 'service_unavailable' : 'internal_error';
    return reply
      .code(status >= 500 && status < 600 ? status : 500)
      .send({ error: code, message: status === 503 ? error.message : 'Internal server error' });
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` }),
  );
}

export default fp(errorHandling, { name: 'docuchat-errors' });

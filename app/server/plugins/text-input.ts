import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../errors.js';

/** Where in a parsed body or query a string holds U+0000, as `body/full_name`; undefined when none does. */
function nulPath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}/${key.replaceAll('\u0000', '\\u0000')}`;
    const found = nulPath(item, `${path}/${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * JSON and query strings may carry U+0000, which PostgreSQL text cannot store: left alone, it fails the INSERT
 * (or even a lookup) deep inside a handler as a 500. Refused up front instead, naming the field.
 */
async function textInput(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    const where = nulPath(request.body, 'body') ?? nulPath(request.query, 'querystring');
    if (where) {
      throw new HttpError(400, 'validation_error', `${where}: must not contain the NUL character (\\u0000)`);
    }
  });
}

export default fp(textInput, { name: 'docuchat-text-input' });

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { withTenant } from '../../db/index.js';
import { getChunk, getDocumentPage } from '../documents/document-text.js';
import { notFound } from '../errors.js';
import { ErrorResponse } from '../schemas/common.js';
import { ChunkParams, DocumentPage, PageParams, Passage } from '../schemas/documents.js';

/** The document view: a document's text page by page, and the passage a citation names. */
const documentTextRoutes: FastifyPluginAsyncTypebox<{ pool: pg.Pool }> = async (app, { pool }) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/:id/pages/:number',
    {
      schema: {
        tags: ['documents'],
        summary:
          'One page of a document as text blocks with their headings (every kind but PDF has one page, number 1)',
        params: PageParams,
        response: { 200: DocumentPage, 404: ErrorResponse },
      },
    },
    async (request) => {
      const page = await withTenant(pool, request.auth.tenantId, (db) =>
        getDocumentPage(db, request.auth.tenantId, request.params.id, request.params.number),
      );
      if (!page) throw notFound('Page');
      return page;
    },
  );

  app.get(
    '/:id/chunks/:chunkId',
    {
      schema: {
        tags: ['documents'],
        summary: 'The whole passage (chunk) a citation names',
        params: ChunkParams,
        response: { 200: Passage, 404: ErrorResponse },
      },
    },
    async (request) => {
      const chunk = await withTenant(pool, request.auth.tenantId, (db) =>
        getChunk(db, request.auth.tenantId, request.params.id, request.params.chunkId),
      );
      if (!chunk) throw notFound('Passage');
      return chunk;
    },
  );
};

export default documentTextRoutes;

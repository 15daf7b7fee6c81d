import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { withTenant } from '../../db/index.js';
import {
  deleteConversation,
  getConversation,
  listConversations,
  renameConversation,
} from '../chat/conversations.js';
import { searchConversations } from '../chat/search.js';
import { notFound } from '../errors.js';
import {
  ConversationDetail,
  ConversationList,
  ConversationSummary,
  RenameBody,
  SearchQuery,
  SearchResponse,
} from '../schemas/chat.js';
import { ErrorResponse, IdParams } from '../schemas/common.js';

const conversationRoutes: FastifyPluginAsyncTypebox<{ pool: pg.Pool }> = async (app, { pool }) => {
  app.addHook('onRequest', app.authenticate);

  app.get(
    '/',
    {
      schema: {
        tags: ['chat'],
        summary: "The team's conversations, newest first",
        response: { 200: ConversationList },
      },
    },
    async (request) => ({
      conversations: await withTenant(pool, request.auth.tenantId, (db) =>
        listConversations(db, request.auth.tenantId),
      ),
    }),
  );

  app.get(
    '/:id',
    {
      schema: {
        tags: ['chat'],
        summary: 'A conversation with its messages and their citations',
        params: IdParams,
        response: { 200: ConversationDetail, 404: ErrorResponse },
      },
    },
    async (request) => {
      const conversation = await withTenant(pool, request.auth.tenantId, (db) =>
        getConversation(db, request.auth.tenantId, request.params.id, request.auth.userId),
      );
      if (!conversation) throw notFound('Conversation');
      return conversation;
    },
  );

  app.get(
    '/search',
    {
      schema: {
        tags: ['chat'],
        summary:
          "Full-text search of the team's conversations (titles and messages), newest first, with the matches marked",
        querystring: SearchQuery,
        response: { 200: SearchResponse, 400: ErrorResponse },
      },
    },
    async (request) => ({
      results: await withTenant(pool, request.auth.tenantId, (db) =>
        searchConversations(db, request.auth.tenantId, request.query.q, request.query.limit ?? 20),
      ),
    }),
  );

  app.patch(
    '/:id',
    {
      schema: {
        tags: ['chat'],
        summary: 'Rename a conversation',
        params: IdParams,
        body: RenameBody,
        response: { 200: ConversationSummary, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => {
      const renamed = await withTenant(pool, request.auth.tenantId, (db) =>
        renameConversation(db, request.auth.tenantId, request.params.id, request.body.title.trim()),
      );
      if (!renamed) throw notFound('Conversation');
      return renamed;
    },
  );

  app.delete(
    '/:id',
    {
      schema: {
        tags: ['chat'],
        summary: 'Delete a conversation and its messages (usage records stay for billing)',
        params: IdParams,
        response: { 204: { type: 'null' }, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const deleted = await withTenant(pool, request.auth.tenantId, (db) =>
        deleteConversation(db, request.auth.tenantId, request.params.id),
      );
      if (!deleted) throw notFound('Conversation');
      return reply.code(204).send(null);
    },
  );
};

export default conversationRoutes;

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { withTenant } from '../../db/index.js';
import { deleteConversation, getConversation, listConversations } from '../chat/conversations.js';
import { notFound } from '../errors.js';
import { ConversationDetail, ConversationList } from '../schemas/chat.js';
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
        getConversation(db, request.auth.tenantId, request.params.id),
      );
      if (!conversation) throw notFound('Conversation');
      return conversation;
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

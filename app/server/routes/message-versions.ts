import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { withTenant } from '../../db/index.js';
import { findTurnQuestion } from '../chat/conversations.js';
import type { ChatService } from '../chat/service.js';
import { notFound } from '../errors.js';
import { ChatResponse, VersionBody } from '../schemas/chat.js';
import { ErrorResponse, IdParams } from '../schemas/common.js';
import { sendTurn } from './chat.js';

/**
 * Regenerate and edit-and-resend: a turn asked again becomes a new version of that turn (the old one is kept).
 * A thin layer over the chat turn: it finds the turn's question and asks it (or the edited text) with
 * `version_of`, so storage, budget, usage ledger and streaming are the chat's own.
 */
const messageVersionRoutes: FastifyPluginAsyncTypebox<{ pool: pg.Pool; chat: ChatService }> = async (
  app,
  { pool, chat },
) => {
  app.post(
    '/messages/:id/versions',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['chat'],
        summary:
          'Ask the turn of this message (a question or its answer) again as a new version: with `message`, the edited question, without it the same one (regenerate). Streams like /chat',
        params: IdParams,
        body: VersionBody,
        response: {
          200: ChatResponse,
          400: ErrorResponse,
          404: ErrorResponse,
          429: ErrorResponse,
          503: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const { auth } = request;
      const body = request.body ?? {};
      const question = await withTenant(pool, auth.tenantId, (db) =>
        findTurnQuestion(db, auth.tenantId, request.params.id),
      );
      if (!question) throw notFound('Message');
      const controller = new AbortController();
      const turn = chat.turn(
        auth,
        {
          message: body.message ?? question.content,
          conversation_id: question.conversationId,
          version_of: question.turnId,
        },
        controller.signal,
        request.log,
      );
      return sendTurn(request, reply, turn, controller, body.stream !== false);
    },
  );
};

export default messageVersionRoutes;

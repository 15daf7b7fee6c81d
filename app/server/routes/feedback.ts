import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { withTenant } from '../../db/index.js';
import type { Role } from '../accounts/repository.js';
import { clearFeedback, listTeamFeedback, setFeedback } from '../chat/feedback.js';
import { HttpError, notFound } from '../errors.js';
import type { ServerMetrics } from '../metrics.js';
import { FeedbackBody, FeedbackResponse, TeamFeedback, TeamFeedbackQuery } from '../schemas/chat.js';
import { ErrorResponse, IdParams } from '../schemas/common.js';

/**
 * Who reads the team's ratings. The one place this route group decides it: when roles get their own
 * mechanism, this preHandler is what to replace.
 */
const TEAM_ADMIN_ROLES: readonly Role[] = ['owner', 'admin'];

async function requireTeamAdmin(request: FastifyRequest) {
  if (!TEAM_ADMIN_ROLES.includes(request.auth.role))
    throw new HttpError(403, 'forbidden', "Only the team's owner and admins can read its feedback");
}

/** Thumbs up or down on an answer, with an optional comment; the team's admins read them all. */
const feedbackRoutes: FastifyPluginAsyncTypebox<{ pool: pg.Pool; metrics: ServerMetrics }> = async (
  app,
  { pool, metrics },
) => {
  app.addHook('onRequest', app.authenticate);

  app.post(
    '/messages/:id/feedback',
    {
      schema: {
        tags: ['chat'],
        summary: 'Rate an answer up or down, with an optional comment (a second rating replaces the first)',
        params: IdParams,
        body: FeedbackBody,
        response: { 200: FeedbackResponse, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => {
      const { auth } = request;
      const comment = request.body.comment?.trim() || null;
      const result = await withTenant(pool, auth.tenantId, (db) =>
        setFeedback(db, {
          tenantId: auth.tenantId,
          messageId: request.params.id,
          userId: auth.userId,
          rating: request.body.rating,
          comment,
        }),
      );
      if (result.status === 'not_found') throw notFound('Message');
      if (result.status === 'not_an_answer')
        throw new HttpError(400, 'bad_request', 'Only answers can be rated, not questions');
      if (result.previous !== result.feedback.rating)
        metrics.messageFeedbackTotal.inc({ tenant: auth.tenantSlug, rating: result.feedback.rating });
      return { message_id: request.params.id, feedback: result.feedback };
    },
  );

  app.delete(
    '/messages/:id/feedback',
    {
      schema: {
        tags: ['chat'],
        summary: 'Take back your rating of an answer',
        params: IdParams,
        response: { 204: { type: 'null' }, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { auth } = request;
      const cleared = await withTenant(pool, auth.tenantId, (db) =>
        clearFeedback(db, { tenantId: auth.tenantId, messageId: request.params.id, userId: auth.userId }),
      );
      if (!cleared) throw notFound('Feedback');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/feedback',
    {
      preHandler: [requireTeamAdmin],
      schema: {
        tags: ['chat'],
        summary: "The team's ratings of answers, newest first (owner and admins only)",
        querystring: TeamFeedbackQuery,
        response: { 200: TeamFeedback, 403: ErrorResponse },
      },
    },
    async (request) =>
      withTenant(pool, request.auth.tenantId, (db) =>
        listTeamFeedback(db, request.auth.tenantId, {
          rating: request.query.rating,
          limit: request.query.limit ?? 50,
        }),
      ),
  );
};

export default feedbackRoutes;

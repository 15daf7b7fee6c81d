import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { Config } from '../../config/index.js';
import { MIN_PASSWORD_LENGTH } from '../schemas/auth.js';
import { MAX_FEEDBACK_COMMENT_CHARS, MAX_MESSAGE_CHARS, MAX_TITLE_CHARS } from '../schemas/chat.js';

const LimitsResponse = Type.Object({
  max_upload_bytes: Type.Integer({ description: 'Largest document accepted (MAX_UPLOAD_BYTES)' }),
  min_password_length: Type.Integer(),
  max_message_chars: Type.Integer({ description: 'Longest question' }),
  max_title_chars: Type.Integer({ description: 'Longest conversation title' }),
  max_feedback_comment_chars: Type.Integer(),
});
export type LimitsResponse = Static<typeof LimitsResponse>;

/** What this server accepts, so a client can say so up front and refuse early instead of after sending. */
const limitsRoutes: FastifyPluginAsyncTypebox<{ config: Pick<Config, 'MAX_UPLOAD_BYTES'> }> = async (
  app,
  { config },
) => {
  app.get(
    '/limits',
    {
      schema: {
        tags: ['health'],
        summary: 'The limits of this server: upload size, password length, message and comment lengths',
        response: { 200: LimitsResponse },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return {
        max_upload_bytes: config.MAX_UPLOAD_BYTES,
        min_password_length: MIN_PASSWORD_LENGTH,
        max_message_chars: MAX_MESSAGE_CHARS,
        max_title_chars: MAX_TITLE_CHARS,
        max_feedback_comment_chars: MAX_FEEDBACK_COMMENT_CHARS,
      };
    },
  );
};

export default limitsRoutes;

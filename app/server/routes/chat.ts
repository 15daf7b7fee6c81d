import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChatService, ChatTurnEvent } from '../chat/service.js';
import { HttpError } from '../errors.js';
import { ChatBody, ChatResponse } from '../schemas/chat.js';
import { ErrorResponse } from '../schemas/common.js';
import { openEventStream } from '../sse.js';

const chatRoutes: FastifyPluginAsyncTypebox<{ chat: ChatService }> = async (app, { chat }) => {
  app.post(
    '/chat',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['chat'],
        summary:
          'Ask a question. Streams Server-Sent Events `sources`, `token`…, `fallback`, then `done` (or `error`); with `stream: false`, one JSON body',
        body: ChatBody,
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
      const controller = new AbortController();
      const turn = chat.turn(request.auth, request.body, controller.signal, request.log);
      return sendTurn(request, reply, turn, controller, request.body.stream !== false);
    },
  );
};

export default chatRoutes;

/**
 * Answers with a chat turn: as Server-Sent Events, or (`stream` false) as one JSON body. Errors before the first
 * event (budget, conversation, validation) surface as plain JSON either way. Shared by `/chat` and the routes
 * that ask a turn again (message-versions.ts).
 */
export async function sendTurn(
  request: FastifyRequest,
  reply: FastifyReply,
  turn: AsyncGenerator<ChatTurnEvent>,
  controller: AbortController,
  stream: boolean,
): Promise<ChatResponse | undefined> {
  if (!stream) {
    // The response closing before it was written means the client left (the request's own 'close' fires
    // as soon as its body is read).
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort();
    });
    let answer = '';
    let sources: Extract<ChatTurnEvent, { type: 'sources' }> | undefined;
    for await (const event of turn) {
      if (event.type === 'sources') sources = event;
      else if (event.type === 'token') answer += event.text;
      else if (event.type === 'error') {
        const status = event.error === 'models_unavailable' ? 503 : 502;
        throw new HttpError(
          status,
          event.error,
          event.message,
          status === 503 ? { 'retry-after': '30' } : {},
        );
      } else if (event.type === 'done') {
        return {
          conversation_id: event.conversation_id,
          message_id: event.message_id,
          answer,
          sources: sources?.sources ?? [],
          model: event.model,
          fallback: event.fallback,
          usage: event.usage,
        };
      }
    }
    throw new HttpError(503, 'service_unavailable', 'The answer could not be completed');
  }

  // Budget, conversation and validation errors surface as plain JSON before the stream opens.
  const first = await turn.next();
  const events = openEventStream(request, reply);
  events.closed.then(() => controller.abort());
  try {
    for (let step = first; !step.done; step = await turn.next()) {
      const { type, ...data } = step.value;
      events.send(type, data);
    }
  } catch (error) {
    request.log.error({ err: error }, 'chat stream failed');
    events.send('error', { error: 'internal_error', message: 'The answer failed; please try again.' });
  } finally {
    events.end();
  }
}

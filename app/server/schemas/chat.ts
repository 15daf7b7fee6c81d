import { type Static, Type } from 'typebox';

export const ChatBody = Type.Object(
  {
    // At least one non-space character: a question of spaces would be stored as an empty message.
    message: Type.String({ minLength: 1, maxLength: 8000, pattern: '\\S' }),
    conversation_id: Type.Optional(Type.String({ format: 'uuid' })),
    stream: Type.Optional(
      Type.Boolean({ default: true, description: 'Server-Sent Events (default) or one JSON body' }),
    ),
  },
  { additionalProperties: false },
);
export type ChatBody = Static<typeof ChatBody>;

export const Citation = Type.Object({
  n: Type.Integer(),
  document_id: Type.String(),
  document_name: Type.String(),
  chunk_id: Type.String(),
  page: Type.Union([Type.Integer(), Type.Null()]),
  page_end: Type.Union([Type.Integer(), Type.Null()]),
  heading_path: Type.Array(Type.String()),
  snippet: Type.String(),
});
export type Citation = Static<typeof Citation>;

export const Usage = Type.Object({
  input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
  estimated: Type.Boolean(),
});

/** The non-streaming answer; the streamed one sends the same fields as `sources`, `token` and `done` events. */
export const ChatResponse = Type.Object({
  conversation_id: Type.String(),
  message_id: Type.String(),
  answer: Type.String(),
  sources: Type.Array(Citation),
  model: Type.Union([Type.String(), Type.Null()]),
  fallback: Type.Boolean(),
  usage: Usage,
});
export type ChatResponse = Static<typeof ChatResponse>;

export const Message = Type.Object({
  id: Type.String(),
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
  content: Type.String(),
  citations: Type.Array(Citation),
  model: Type.Union([Type.String(), Type.Null()]),
  fallback: Type.Boolean(),
  incomplete: Type.Boolean(),
  interrupted: Type.Boolean({
    description:
      'A question whose answer was cut by a server crash: no answer was stored, and none is coming',
  }),
  error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
});
export type Message = Static<typeof Message>;

export const ConversationSummary = Type.Object({
  id: Type.String(),
  title: Type.String(),
  messages: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type ConversationSummary = Static<typeof ConversationSummary>;

export const ConversationList = Type.Object({ conversations: Type.Array(ConversationSummary) });
export type ConversationList = Static<typeof ConversationList>;

export const ConversationDetail = Type.Object({
  id: Type.String(),
  title: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
  messages: Type.Array(Message),
});
export type ConversationDetail = Static<typeof ConversationDetail>;

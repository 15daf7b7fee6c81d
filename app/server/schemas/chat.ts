import { type Static, Type } from 'typebox';

export const MAX_FEEDBACK_COMMENT_CHARS = 2000;
export const MAX_TITLE_CHARS = 200;
/** The longest question (ChatBody.message); the web app's box stops there too. */
export const MAX_MESSAGE_CHARS = 8000;

export const ChatBody = Type.Object(
  {
    // At least one non-space character: a question of spaces would be stored as an empty message.
    message: Type.String({ minLength: 1, maxLength: MAX_MESSAGE_CHARS, pattern: '\\S' }),
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

export const Rating = Type.Union([Type.Literal('up'), Type.Literal('down')]);

export const Feedback = Type.Object({
  rating: Rating,
  comment: Type.Union([Type.String(), Type.Null()]),
});
export type Feedback = Static<typeof Feedback>;

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
  version_of: Type.Union([Type.String(), Type.Null()], {
    description: 'On a question asked again (regenerated or edited): the first question of its turn',
  }),
  turn_id: Type.String({ description: 'The first question of the turn this message belongs to' }),
  version: Type.Integer({ description: '1-based version of its turn' }),
  versions: Type.Integer({ description: 'How many versions its turn has' }),
  current: Type.Boolean({ description: 'Part of the newest version of its turn (what the history uses)' }),
  feedback: Type.Union([Feedback, Type.Null()], { description: "The caller's own rating of this answer" }),
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

export const RenameBody = Type.Object(
  { title: Type.String({ minLength: 1, maxLength: MAX_TITLE_CHARS, pattern: '\\S' }) },
  { additionalProperties: false },
);
export type RenameBody = Static<typeof RenameBody>;

export const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 200, description: 'Words to find (each also as a prefix)' }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 20 })),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

/** A piece of matched text: `match` pieces are what the query found (the app marks them). Never HTML. */
export const Fragment = Type.Object({ text: Type.String(), match: Type.Boolean() });
export type Fragment = Static<typeof Fragment>;

export const SearchResult = Type.Object({
  conversation_id: Type.String(),
  title: Type.Array(Fragment),
  updated_at: Type.String(),
  /** The newest matching message of the conversation, as an excerpt around the match; null when only the title matched. */
  message: Type.Union([
    Type.Object({
      id: Type.String(),
      role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
      excerpt: Type.Array(Fragment),
    }),
    Type.Null(),
  ]),
});
export type SearchResult = Static<typeof SearchResult>;

export const SearchResponse = Type.Object({ results: Type.Array(SearchResult) });
export type SearchResponse = Static<typeof SearchResponse>;

export const FeedbackBody = Type.Object(
  {
    rating: Rating,
    comment: Type.Optional(Type.Union([Type.String({ maxLength: MAX_FEEDBACK_COMMENT_CHARS }), Type.Null()])),
  },
  { additionalProperties: false },
);
export type FeedbackBody = Static<typeof FeedbackBody>;

export const FeedbackResponse = Type.Object({ message_id: Type.String(), feedback: Feedback });
export type FeedbackResponse = Static<typeof FeedbackResponse>;

export const TeamFeedbackQuery = Type.Object(
  {
    rating: Type.Optional(Rating),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);
export type TeamFeedbackQuery = Static<typeof TeamFeedbackQuery>;

export const TeamFeedbackItem = Type.Object({
  message_id: Type.String(),
  conversation_id: Type.String(),
  conversation_title: Type.String(),
  question: Type.Union([Type.String(), Type.Null()]),
  answer: Type.String(),
  rating: Rating,
  comment: Type.Union([Type.String(), Type.Null()]),
  user: Type.Object({ full_name: Type.String(), email: Type.String() }),
  updated_at: Type.String(),
});
export type TeamFeedbackItem = Static<typeof TeamFeedbackItem>;

export const TeamFeedback = Type.Object({
  totals: Type.Object({ up: Type.Integer(), down: Type.Integer() }),
  feedback: Type.Array(TeamFeedbackItem),
});
export type TeamFeedback = Static<typeof TeamFeedback>;

export const VersionBody = Type.Object(
  {
    message: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_MESSAGE_CHARS,
        pattern: '\\S',
        description: 'The edited question; without it the same question is asked again (regenerate)',
      }),
    ),
    stream: Type.Optional(
      Type.Boolean({ default: true, description: 'Server-Sent Events (default) or one JSON body' }),
    ),
  },
  { additionalProperties: false },
);
export type VersionBody = Static<typeof VersionBody>;

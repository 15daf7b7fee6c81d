// Request and response shapes come from the server's route schemas (type-only imports: nothing of the server
// ends up in the bundle), so a changed field breaks the type check here instead of the page at run time.

export type { ChatTurnEvent } from '../../../server/chat/service.js';
export type { LimitsResponse } from '../../../server/routes/limits.js';
export type {
  LoginBody,
  MeResponse,
  RefreshBody,
  RegisterBody,
  RegisterResponse,
  TokenResponse,
} from '../../../server/schemas/auth.js';
export type {
  ChatBody,
  Citation,
  ConversationDetail,
  ConversationList,
  ConversationSummary,
  Feedback,
  FeedbackBody,
  FeedbackResponse,
  Fragment,
  Message,
  SearchResponse,
  SearchResult,
  TeamFeedback,
  TeamFeedbackItem,
} from '../../../server/schemas/chat.js';
export type { ErrorResponse } from '../../../server/schemas/common.js';
export type {
  DocumentList,
  DocumentPage,
  DocumentSummary,
  Passage,
  TextBlock,
  UploadResponse,
} from '../../../server/schemas/documents.js';

import type { ChatTurnEvent } from '../../../server/chat/service.js';

/** The data of one chat SSE event, keyed by its event name (the route sends `type` as the event name). */
export type ChatStreamEvent = {
  [K in ChatTurnEvent['type']]: { event: K; data: Omit<Extract<ChatTurnEvent, { type: K }>, 'type'> };
}[ChatTurnEvent['type']];

/** Billing shapes, from the billing routes' own schemas. */
export type {
  InvoiceItem as Invoice,
  UsageItem as UsageRow,
  UsageResponse,
} from '../../../../billing/routes.js';
export type InvoiceStatus = import('../../../../billing/routes.js').InvoiceItem['status'];

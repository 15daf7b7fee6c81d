import { type Static, Type } from 'typebox';

export const DocumentStatus = Type.Union([
  Type.Literal('processing'),
  Type.Literal('ready'),
  Type.Literal('failed'),
]);

export const DocumentSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.String({ description: 'pdf, docx, markdown, html, text or csv' }),
  mime_type: Type.String(),
  size_bytes: Type.Integer(),
  status: DocumentStatus,
  error: Type.Union([Type.String(), Type.Null()], {
    description: 'Why the document failed, as a sentence for the user (null unless failed)',
  }),
  failure_reason: Type.Union([Type.String(), Type.Null()], {
    description:
      'Why it failed, as a code: unreadable, no_text, timeout, crashed, interrupted, embedding_failed, storage_failed',
  }),
  attempts: Type.Integer({ description: 'How many times indexing started (a crash or a restart counts)' }),
  pages: Type.Integer(),
  pages_done: Type.Integer(),
  chunks: Type.Integer(),
  chunks_done: Type.Integer(),
  tokens: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type DocumentSummary = Static<typeof DocumentSummary>;

export const DocumentList = Type.Object({ documents: Type.Array(DocumentSummary) });
export type DocumentList = Static<typeof DocumentList>;

export const UploadResponse = Type.Object({
  document: DocumentSummary,
  /** True when the same content was uploaded before and the existing document is returned. */
  duplicate: Type.Boolean(),
});
export type UploadResponse = Static<typeof UploadResponse>;

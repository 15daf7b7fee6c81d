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

export const TextBlock = Type.Object({
  text: Type.String({ description: 'One paragraph, heading, list, table row or code block, as parsed' }),
  heading_path: Type.Array(Type.String()),
  heading: Type.Boolean({ description: 'The heading that opens the section `heading_path` names' }),
});
export type TextBlock = Static<typeof TextBlock>;

export const DocumentPage = Type.Object({
  document: Type.Object({
    id: Type.String(),
    name: Type.String(),
    kind: Type.String(),
    status: DocumentStatus,
  }),
  number: Type.Integer(),
  page_numbers: Type.Array(Type.Integer(), { description: 'Every page number the document has' }),
  source: Type.Union([Type.Literal('stored'), Type.Literal('passages')], {
    description:
      '`stored`: the parsed text; `passages`: rebuilt from the chunks (documents uploaded earlier)',
  }),
  blocks: Type.Array(TextBlock),
});
export type DocumentPage = Static<typeof DocumentPage>;

export const PageParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  number: Type.Integer({ minimum: 1, maximum: 100_000 }),
});

export const ChunkParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  chunkId: Type.String({ format: 'uuid' }),
});

export const Passage = Type.Object({
  id: Type.String(),
  document_id: Type.String(),
  ordinal: Type.Integer(),
  content: Type.String(),
  page_start: Type.Union([Type.Integer(), Type.Null()]),
  page_end: Type.Union([Type.Integer(), Type.Null()]),
  heading_path: Type.Array(Type.String()),
});
export type Passage = Static<typeof Passage>;

import fastifyMultipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { withTenant } from '../../db/index.js';
import { type IngestionPool, IngestionTaskError } from '../documents/ingestion-pool.js';
import {
  createDocumentWithJob,
  deleteDocument,
  findBySha256,
  getDocument,
  listDocuments,
} from '../documents/repository.js';
import { HttpError, notFound } from '../errors.js';
import { detectDocumentKind, sanitizeFilename } from '../ingest/index.js';
import { ErrorResponse, IdParams } from '../schemas/common.js';
import { DocumentList, DocumentSummary, UploadResponse } from '../schemas/documents.js';
import { openEventStream } from '../sse.js';

export interface DocumentRoutesOptions {
  pool: pg.Pool;
  /** The threads that parse uploads (off the event loop). */
  ingestion: IngestionPool;
  maxUploadBytes: number;
  /** Wakes the ingestion worker after an upload. */
  onUploaded(): void;
  /** Called with the tenant slug and the number of chunks a deletion removed. */
  onDeleted(tenantSlug: string, chunks: number): void;
}

const MIME_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  markdown: 'text/markdown',
  html: 'text/html',
  text: 'text/plain',
  csv: 'text/csv',
};
const PROGRESS_POLL_MS = 300;

const mb = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

const documentRoutes: FastifyPluginAsyncTypebox<DocumentRoutesOptions> = async (app, opts) => {
  const { pool } = opts;
  const tooLarge = () =>
    new HttpError(413, 'payload_too_large', `The file is larger than the ${mb(opts.maxUploadBytes)} limit`);
  await app.register(fastifyMultipart, {
    // One byte more than allowed: a file that reaches it is over the limit, whether or not busboy's
    // truncation flag was seen in time (it was not for one-chunk bodies, which then arrived cut to the limit).
    limits: { fileSize: opts.maxUploadBytes + 1, files: 1, fields: 5, parts: 6 },
  });
  app.addHook('onRequest', app.authenticate);

  app.post(
    '/',
    {
      schema: {
        tags: ['documents'],
        summary: 'Upload a document (multipart field `file`): PDF, DOCX, Markdown, HTML, text or CSV',
        consumes: ['multipart/form-data'],
        response: {
          200: UploadResponse,
          202: UploadResponse,
          400: ErrorResponse,
          413: ErrorResponse,
          415: ErrorResponse,
          422: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          'Send the document as multipart/form-data in the field `file`',
        );
      }
      let bytes: Buffer;
      let filename: string;
      let mimetype: string;
      try {
        const file = await request.file();
        if (!file)
          throw new HttpError(400, 'bad_request', 'No file: send the document in the multipart field `file`');
        filename = file.filename;
        mimetype = file.mimetype;
        bytes = await file.toBuffer();
        if (file.file.truncated || bytes.length > opts.maxUploadBytes) throw tooLarge();
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 413) throw tooLarge();
        if (error instanceof HttpError || (status && status < 500)) throw error;
        // The parser's own errors (no boundary, a cut-off body) are a malformed request, not a server fault.
        throw new HttpError(400, 'bad_request', `Malformed multipart body: ${(error as Error).message}`);
      }
      const name = sanitizeFilename(filename || 'document');
      if (bytes.length === 0) throw new HttpError(422, 'unprocessable_document', 'The file is empty');
      const kind = detectDocumentKind(name, mimetype, bytes);
      if (!kind) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          `"${name}" is not a supported document: upload PDF, DOCX, Markdown, HTML, plain text or CSV`,
        );
      }
      // WebCrypto hashes on libuv's thread pool: 25 MB through createHash held the event loop for ~50 ms.
      const view = new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
      const sha256 = Buffer.from(await crypto.subtle.digest('SHA-256', view)).toString('hex');
      const { auth } = request;
      const existing = await withTenant(pool, auth.tenantId, (db) => findBySha256(db, auth.tenantId, sha256));
      if (existing) return reply.code(200).send({ document: existing, duplicate: true });

      const parsed = await parseUpload(opts.ingestion, kind, bytes);
      const document = await withTenant(pool, auth.tenantId, async (db) => {
        const created = await createDocumentWithJob(
          db,
          {
            tenantId: auth.tenantId,
            userId: auth.userId,
            name,
            kind,
            mimeType: MIME_TYPES[kind]!,
            sizeBytes: bytes.length,
            sha256,
            pagesTotal: parsed.pages,
          },
          parsed.json,
        );
        return created ? { document: created, duplicate: false } : undefined;
      });
      if (!document) {
        // The same file uploaded twice at once: the first one won.
        const twin = await withTenant(pool, auth.tenantId, (db) => findBySha256(db, auth.tenantId, sha256));
        return reply.code(200).send({ document: twin!, duplicate: true });
      }
      request.log.info({ document: document.document.id, kind, bytes: bytes.length }, 'document accepted');
      opts.onUploaded();
      return reply.code(202).send(document);
    },
  );

  app.get(
    '/',
    {
      schema: {
        tags: ['documents'],
        summary: "The team's documents",
        response: { 200: DocumentList, 401: ErrorResponse },
      },
    },
    async (request) => ({
      documents: await withTenant(pool, request.auth.tenantId, (db) =>
        listDocuments(db, request.auth.tenantId),
      ),
    }),
  );

  app.get(
    '/:id',
    {
      schema: {
        tags: ['documents'],
        summary: 'One document with its ingestion progress',
        params: IdParams,
        response: { 200: DocumentSummary, 404: ErrorResponse },
      },
    },
    async (request) => {
      const doc = await withTenant(pool, request.auth.tenantId, (db) =>
        getDocument(db, request.auth.tenantId, request.params.id),
      );
      if (!doc) throw notFound('Document');
      return doc;
    },
  );

  app.delete(
    '/:id',
    {
      schema: {
        tags: ['documents'],
        summary: 'Delete a document and its chunks',
        params: IdParams,
        response: { 204: { type: 'null' }, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const chunks = await withTenant(pool, request.auth.tenantId, (db) =>
        deleteDocument(db, request.auth.tenantId, request.params.id),
      );
      if (chunks === undefined) throw notFound('Document');
      opts.onDeleted(request.auth.tenantSlug, chunks);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:id/events',
    {
      schema: {
        tags: ['documents'],
        summary: 'Ingestion progress as Server-Sent Events: `progress` until `ready` or `failed`',
        params: IdParams,
        response: { 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.auth;
      const load = () => withTenant(pool, tenantId, (db) => getDocument(db, tenantId, request.params.id));
      let doc = await load();
      if (!doc) throw notFound('Document');
      const stream = openEventStream(request, reply);
      let last = '';
      while (!stream.isClosed && doc) {
        const snapshot = JSON.stringify(doc);
        if (snapshot !== last) {
          stream.send('progress', doc);
          last = snapshot;
        }
        if (doc.status !== 'processing') {
          stream.send(doc.status, doc);
          break;
        }
        await Promise.race([new Promise<void>((r) => setTimeout(r, PROGRESS_POLL_MS)), stream.closed]);
        if (stream.isClosed) break;
        doc = await load().catch(() => undefined);
        if (!doc) stream.send('failed', { error: 'not_found', message: 'The document was deleted' });
      }
      stream.end();
    },
  );
};

/**
 * Parses an upload in the ingestion threads (the request waits, the event loop does not), so an unreadable file
 * is refused with its reason at once and nothing of it is stored.
 */
async function parseUpload(
  ingestion: IngestionPool,
  kind: ReturnType<typeof detectDocumentKind> & string,
  bytes: Buffer,
) {
  let result: Awaited<ReturnType<IngestionPool['parse']>>;
  try {
    result = await ingestion.parse(kind, bytes);
  } catch (error) {
    if (error instanceof IngestionTaskError) {
      throw new HttpError(
        422,
        'unprocessable_document',
        error.reason === 'timeout'
          ? `Reading the document took longer than the ${Math.round(ingestion.timeoutMs / 1000)} s limit; split it into smaller files and upload them.`
          : 'Reading the document needed more memory than the server gives one document; split it into smaller files and upload them.',
      );
    }
    throw error;
  }
  if (!result.ok) throw new HttpError(422, 'unprocessable_document', result.message);
  return result;
}

export default documentRoutes;

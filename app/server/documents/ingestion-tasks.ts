/**
 * What the ingestion threads run (see ingestion-pool.ts): every CPU-heavy step between the uploaded bytes and the
 * rows the database stores. Each task takes and returns plain data (structured clone): parse failures come back
 * as values, since a thrown error loses its class and reason on the way to the API thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { encodeVectorArray } from '../../db/vector.js';
import { LocalHashingEmbedder } from '../embeddings/local-hashing-embedder.js';
import { longRunShare, MAX_RUN_CHARS } from '../ingest/chunk.js';
import {
  type ChunkOptions,
  chunkDocument,
  type DocumentKind,
  type DocumentParseReason,
  isDocumentParseError,
  type ParsedDocument,
  parseDocument,
} from '../ingest/index.js';
import {
  CHUNK_BATCH_SIZE,
  type EncodedChunkBatch,
  embeddingInput,
  encodeChunkBatch,
  REMOTE_EMBEDDING_BATCH_SIZE,
} from './chunk-batches.js';

export type UnreadableReason = DocumentParseReason | 'too_deep' | 'no_words';

export interface ParseTask {
  type: 'parse';
  kind: DocumentKind;
  bytes: Uint8Array;
}

export type ParseResult =
  | { ok: true; pages: number; json: Uint8Array }
  | { ok: false; reason: UnreadableReason; message: string };

export interface IndexTask {
  type: 'index';
  /** The parsed document as the upload stored it (JSON of a ParsedDocument). */
  json: Uint8Array;
  chunk: Required<ChunkOptions>;
  /** Embed here with the offline hashing embedder; without it the batches carry their texts instead. */
  localEmbedding?: { dimensions: number; vectorTypeOid: number };
  /** Receives `{ chunks, done }` while embedding, for the document's progress. */
  progress?: MessagePort;
}

export type IndexResult =
  | { ok: true; chunks: number; tokens: number; batches: EncodedChunkBatch[] }
  | { ok: false; reason: UnreadableReason; message: string };

/** More than this share of a document's characters in runs too long to be words: nothing to search in it. */
const MAX_LONG_RUN_SHARE = 0.5;

export default async function run(task: ParseTask | IndexTask): Promise<ParseResult | IndexResult> {
  return task.type === 'parse' ? parse(task) : index(task);
}

async function parse(task: ParseTask): Promise<ParseResult> {
  let parsed: ParsedDocument;
  try {
    parsed = await parseDocument(
      task.kind,
      Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength),
    );
  } catch (error) {
    return unreadable(error);
  }
  const share = longRunShare(parsed);
  if (share > MAX_LONG_RUN_SHARE) {
    return {
      ok: false,
      reason: 'no_words',
      message: `${Math.round(share * 100)}% of the document's text is in runs of more than ${MAX_RUN_CHARS} characters without a space (encoded data, not words): there is nothing in it to search.`,
    };
  }
  return { ok: true, pages: parsed.pages.length, json: new TextEncoder().encode(JSON.stringify(parsed)) };
}

function index(task: IndexTask): IndexResult {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(task.json)) as ParsedDocument;
    const chunks = chunkDocument(parsed, task.chunk);
    if (chunks.length === 0) {
      return { ok: false, reason: 'no_text', message: 'The document contains no text to index.' };
    }
    const embedder = task.localEmbedding && new LocalHashingEmbedder(task.localEmbedding.dimensions);
    const batches: EncodedChunkBatch[] = [];
    // A remote batch is one embeddings request (progress after each); a local one is one INSERT.
    const size = embedder ? CHUNK_BATCH_SIZE : REMOTE_EMBEDDING_BATCH_SIZE;
    let tokens = 0;
    for (let i = 0; i < chunks.length; i += size) {
      const slice = chunks.slice(i, i + size);
      const batch = encodeChunkBatch(slice);
      for (const chunk of slice) tokens += chunk.tokens;
      if (embedder && task.localEmbedding) {
        const vectors = slice.map((c) => embedder.embedOne(embeddingInput(c)));
        batch.vectors = encodeVectorArray(vectors, task.localEmbedding.vectorTypeOid);
      } else {
        batch.inputs = slice.map(embeddingInput);
      }
      batches.push(batch);
      task.progress?.postMessage({ chunks: chunks.length, done: i + slice.length });
    }
    return { ok: true, chunks: chunks.length, tokens, batches };
  } catch (error) {
    return unreadable(error);
  } finally {
    task.progress?.close();
  }
}

/** A parser's refusal, a stack overflow on deep nesting, or a parser bug on a hostile file: all say "unreadable". */
function unreadable(error: unknown): { ok: false; reason: UnreadableReason; message: string } {
  if (isDocumentParseError(error)) return { ok: false, reason: error.reason, message: error.message };
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return {
      ok: false,
      reason: 'too_deep',
      message:
        'The document is nested too deeply to read (elements inside elements, thousands of levels deep).',
    };
  }
  return {
    ok: false,
    reason: 'corrupt',
    message: `The file could not be read: ${(error as Error)?.message?.slice(0, 200) ?? String(error)}`,
  };
}

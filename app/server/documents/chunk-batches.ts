/**
 * A document's chunks as the parameters of the statements that store them, built where the chunks are made (an
 * ingestion thread), so the API thread only passes strings and bytes to the database: escaping 25 MB of chunk
 * text into array literals on the API thread held every other request for as long.
 */
import type { Chunk } from '../ingest/index.js';

/** Chunks per INSERT: a typical document is one statement; a huge one is several, each bounded. */
export const CHUNK_BATCH_SIZE = 512;
/** Texts per embeddings request to a remote embedder (OpenAI takes up to 2048; 128 keeps progress moving). */
export const REMOTE_EMBEDDING_BATCH_SIZE = 128;

export interface EncodedChunkBatch {
  count: number;
  /** Last page this batch reaches (progress). */
  pageEnd: number;
  /** PostgreSQL array literals for `int[]`, `text[]` and `jsonb[]` parameters. */
  ordinals: string;
  contents: string;
  tokens: string;
  pageStarts: string;
  pageEnds: string;
  headingPaths: string;
  /** The texts to embed (heading path and content), when the embedder runs outside the ingestion thread. */
  inputs?: string[];
  /** The batch's vectors as a binary `vector[]` (app/db/vector.ts), when embedded in the ingestion thread. */
  vectors?: Uint8Array;
}

const quote = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** `{1,2,NULL}` / `{"a","b"}`: the literal node-postgres would have built for a JS array. */
export function arrayLiteral(values: ReadonlyArray<string | number | null>): string {
  return `{${values.map((v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : quote(v))).join(',')}}`;
}

/** The heading path travels with the text into the vector, so "Installation" questions find that section. */
export function embeddingInput(chunk: Pick<Chunk, 'headingPath' | 'content'>): string {
  return chunk.headingPath.length ? `${chunk.headingPath.join(' › ')}\n${chunk.content}` : chunk.content;
}

export function encodeChunkBatch(chunks: readonly Chunk[]): EncodedChunkBatch {
  return {
    count: chunks.length,
    pageEnd: chunks.at(-1)?.pageEnd ?? 0,
    ordinals: arrayLiteral(chunks.map((c) => c.ordinal)),
    contents: arrayLiteral(chunks.map((c) => c.content)),
    tokens: arrayLiteral(chunks.map((c) => c.tokens)),
    pageStarts: arrayLiteral(chunks.map((c) => c.pageStart)),
    pageEnds: arrayLiteral(chunks.map((c) => c.pageEnd)),
    headingPaths: arrayLiteral(chunks.map((c) => JSON.stringify(c.headingPath))),
  };
}

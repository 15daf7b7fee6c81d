/** The ingestion toolkit the upload route and the ingestion job use: detect → parse → chunk. */
export {
  type Chunk,
  type ChunkOptions,
  chunkDocument,
  DEFAULT_CHUNK_TOKENS,
  DEFAULT_OVERLAP_TOKENS,
} from './chunk.js';
export { DETECTION_HEAD_BYTES, detectDocumentKind } from './detect.js';
export {
  DEFAULT_MAX_PAGES,
  DOCUMENT_KINDS,
  type DocumentKind,
  type ParsedBlock,
  type ParsedDocument,
  type ParsedPage,
  type ParseOptions,
} from './document.js';
export { DocumentParseError, type DocumentParseReason, isDocumentParseError } from './errors.js';
export { MAX_FILENAME_LENGTH, sanitizeFilename } from './filename.js';
export { parseDocument } from './parse.js';

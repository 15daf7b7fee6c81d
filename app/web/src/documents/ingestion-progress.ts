import type { DocumentSummary } from '../api/types.js';

/**
 * How far ingestion of a document has come, 0..1: pages parsed and passages embedded count alike, so the bar
 * moves through both phases and reaches the end only when the server says ready.
 */
export function ingestionFraction(
  doc: Pick<DocumentSummary, 'status' | 'pages' | 'pages_done' | 'chunks' | 'chunks_done'>,
): number {
  if (doc.status === 'ready') return 1;
  const total = doc.pages + doc.chunks;
  if (total <= 0) return 0;
  return Math.min(0.99, (doc.pages_done + doc.chunks_done) / total);
}

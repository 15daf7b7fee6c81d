import type { Queryable } from '../../db/index.js';
import type { ParsedBlock } from '../ingest/document.js';
import type { DocumentPage, TextBlock } from '../schemas/documents.js';

interface ChunkText {
  content: string;
  page_start: number | null;
  heading_path: string[];
}

/**
 * One page of a document as text blocks with their heading paths, and the page numbers it has. From the parsed
 * text stored at upload; for documents uploaded before that was kept, rebuilt from the chunks. Undefined when
 * the document is not the tenant's or has no such page.
 */
export async function getDocumentPage(
  db: Queryable,
  tenantId: string,
  documentId: string,
  number: number,
): Promise<DocumentPage | undefined> {
  const { rows: docs } = await db.query<{
    id: string;
    name: string;
    kind: string;
    status: DocumentPage['document']['status'];
    stored_pages: number[] | null;
  }>(
    `SELECT d.id, d.name, d.kind, d.status,
            (SELECT array_agg(p.number ORDER BY p.number) FROM document_pages p WHERE p.document_id = d.id)
              AS stored_pages
       FROM documents d WHERE d.tenant_id = $1 AND d.id = $2`,
    [tenantId, documentId],
  );
  const doc = docs[0];
  if (!doc) return undefined;
  const header = { id: doc.id, name: doc.name, kind: doc.kind, status: doc.status };
  if (doc.stored_pages) {
    if (!doc.stored_pages.includes(number)) return undefined;
    const { rows } = await db.query<{ blocks: ParsedBlock[] }>(
      'SELECT blocks FROM document_pages WHERE tenant_id = $1 AND document_id = $2 AND number = $3',
      [tenantId, documentId, number],
    );
    return {
      document: header,
      number,
      page_numbers: doc.stored_pages,
      source: 'stored',
      blocks: markHeadings(rows[0]?.blocks ?? []),
    };
  }
  const { rows: pages } = await db.query<{ page: number | null }>(
    'SELECT DISTINCT page_start AS page FROM chunks WHERE tenant_id = $1 AND document_id = $2 ORDER BY 1',
    [tenantId, documentId],
  );
  const pageNumbers = pages.map((p) => p.page ?? 1);
  if (!pageNumbers.includes(number)) return undefined;
  const { rows: chunks } = await db.query<ChunkText>(
    `SELECT content, page_start, heading_path FROM chunks
      WHERE tenant_id = $1 AND document_id = $2 AND coalesce(page_start, 1) = $3 ORDER BY ordinal`,
    [tenantId, documentId, number],
  );
  return {
    document: header,
    number,
    page_numbers: pageNumbers,
    source: 'passages',
    blocks: markHeadings(blocksFromChunks(chunks)),
  };
}

/** A heading block opens its section: it is the first block with its path, and the path ends with its text. */
function markHeadings(blocks: readonly ParsedBlock[]): TextBlock[] {
  let previous = '';
  return blocks.map((block) => {
    const key = block.headingPath.join('\u241f');
    const heading = key !== previous && block.headingPath.at(-1) === block.text.trim();
    previous = key;
    return { text: block.text, heading_path: block.headingPath, heading };
  });
}

/**
 * The blocks of consecutive chunks of one page: a chunk repeats the end of the one before it in the same
 * section (the overlap), which is dropped, and its paragraphs (joined by a blank line when chunked) are blocks.
 */
export function blocksFromChunks(chunks: readonly ChunkText[]): ParsedBlock[] {
  const blocks: ParsedBlock[] = [];
  let previous: ChunkText | undefined;
  for (const chunk of chunks) {
    let text = chunk.content;
    if (previous && previous.heading_path.join('\u241f') === chunk.heading_path.join('\u241f')) {
      const overlap = longestOverlap(previous.content, text);
      // A paragraph cut by the overlap continues the last block instead of starting one.
      const continues = overlap > 0 && !/^\s*\n\n/.test(text.slice(overlap));
      text = text.slice(overlap);
      if (continues && blocks.length > 0) {
        const [first, ...rest] = text.split(/\n\n+/);
        blocks.at(-1)!.text += first ?? '';
        text = rest.join('\n\n');
      }
    }
    for (const paragraph of text.split(/\n\n+/)) {
      if (paragraph.trim()) blocks.push({ text: paragraph.trim(), headingPath: chunk.heading_path });
    }
    previous = chunk;
  }
  return blocks;
}

/** Characters an overlap can span: the chunker repeats at most CHUNK_OVERLAP_TOKENS (64 by default). */
const MAX_OVERLAP_CHARS = 4000;

/**
 * Length of the longest start of `next` that is also the end of `before` (the prefix function of Knuth, Morris
 * and Pratt over `next + separator + end of before`: linear, where comparing every candidate length would be
 * quadratic in the overlap).
 */
export function longestOverlap(before: string, next: string): number {
  const head = next.slice(0, MAX_OVERLAP_CHARS);
  const tail = before.slice(-MAX_OVERLAP_CHARS);
  const s = `${head}\u0000${tail}`;
  const prefix = new Int32Array(s.length);
  for (let i = 1; i < s.length; i++) {
    let k = prefix[i - 1]!;
    while (k > 0 && s[i] !== s[k]) k = prefix[k - 1]!;
    if (s[i] === s[k]) k++;
    prefix[i] = k;
  }
  const length = prefix[s.length - 1]!;
  // A few shared characters ("the ") are a coincidence, not the chunker's overlap, which is whole words.
  return length >= 12 ? length : 0;
}

/** One chunk (passage) of a document, as a citation names it. */
export async function getChunk(db: Queryable, tenantId: string, documentId: string, chunkId: string) {
  const { rows } = await db.query<{
    id: string;
    document_id: string;
    ordinal: number;
    content: string;
    page_start: number | null;
    page_end: number | null;
    heading_path: string[];
  }>(
    `SELECT id, document_id, ordinal, content, page_start, page_end, heading_path FROM chunks
      WHERE tenant_id = $1 AND document_id = $2 AND id = $3`,
    [tenantId, documentId, chunkId],
  );
  return rows[0];
}

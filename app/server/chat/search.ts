import type { Queryable } from '../../db/index.js';
import { searchNormalize } from '../embeddings/normalize-text.js';
import type { Fragment, SearchResult } from '../schemas/chat.js';

const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;
const MAX_WORDS = 8;
/** Newest matching messages looked at; their conversations (newest first) are the results. */
const MAX_MESSAGE_MATCHES = 300;
/** Characters of context on each side of the first match in an excerpt. */
const EXCERPT_CONTEXT = 70;

/** The search words, normalised as the index is (lower case, ZWNJ and Arabic letter forms folded), distinct. */
export function searchWords(query: string): string[] {
  const words = new Set<string>();
  for (const match of searchNormalize(query.normalize('NFC').toLowerCase()).matchAll(WORD))
    words.add(match[0]);
  return [...words].slice(0, MAX_WORDS);
}

/** Every word must appear, each also as the start of a longer one (`back` finds "backups"), in to_tsquery syntax. */
export function searchTsQuery(words: readonly string[]): string {
  return words.map((w) => `'${w.replaceAll("'", "''")}':*`).join(' & ');
}

/**
 * The text split into matched and unmatched pieces: a word of the text matches when it starts with one of the
 * search words, compared as the index compares them. The pieces are the original characters (ZWNJ, digits and
 * letter forms as written), so the app shows the text exactly and only marks it.
 */
export function highlight(text: string, words: readonly string[]): Fragment[] {
  // The normalised text with, for each of its characters, where it came from in `text`.
  let folded = '';
  const origin: number[] = [];
  let offset = 0;
  for (const ch of text.normalize('NFC')) {
    const mapped = searchNormalize(ch.toLowerCase());
    for (const unit of mapped) {
      folded += unit;
      for (let k = 0; k < unit.length; k++) origin.push(offset);
    }
    offset += ch.length;
  }
  const source = text.normalize('NFC');
  const ranges: Array<[number, number]> = [];
  for (const match of folded.matchAll(WORD)) {
    if (!words.some((w) => match[0].startsWith(w))) continue;
    const start = origin[match.index]!;
    const lastUnit = match.index + match[0].length - 1;
    const end = origin[lastUnit]! + (source.codePointAt(origin[lastUnit]!)! > 0xffff ? 2 : 1);
    ranges.push([start, end]);
  }
  const fragments: Fragment[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) fragments.push({ text: source.slice(at, start), match: false });
    fragments.push({ text: source.slice(start, end), match: true });
    at = end;
  }
  if (at < source.length) fragments.push({ text: source.slice(at), match: false });
  return fragments;
}

/** A short excerpt around the first match, cut at spaces, with an ellipsis where it was cut. */
export function excerpt(fragments: readonly Fragment[], context = EXCERPT_CONTEXT): Fragment[] {
  const firstMatch = fragments.findIndex((f) => f.match);
  const text = fragments.map((f) => f.text).join('');
  const flat = text.replace(/\s+/g, ' ');
  if (firstMatch < 0) {
    const cut = flat.length > context * 2 ? `${flat.slice(0, context * 2).replace(/\s\S*$/, '')}…` : flat;
    return [{ text: cut, match: false }];
  }
  const matchStart = fragments.slice(0, firstMatch).reduce((n, f) => n + f.text.length, 0);
  let from = Math.max(0, matchStart - context);
  let to = Math.min(text.length, matchStart + fragments[firstMatch]!.text.length + context * 2);
  if (from > 0) {
    const space = text.indexOf(' ', from);
    if (space >= 0 && space < matchStart) from = space + 1;
  }
  if (to < text.length) {
    const space = text.lastIndexOf(' ', to);
    if (space > matchStart) to = space;
  }
  const out: Fragment[] = [];
  let at = 0;
  for (const f of fragments) {
    const start = Math.max(at, from);
    const end = Math.min(at + f.text.length, to);
    if (end > start) {
      const piece = f.text.slice(start - at, end - at).replace(/\s+/g, ' ');
      const last = out.at(-1);
      if (last && last.match === f.match) last.text += piece;
      else out.push({ text: piece, match: f.match });
    }
    at += f.text.length;
  }
  if (from > 0) out.unshift({ text: '…', match: false });
  if (to < text.length) out.push({ text: '…', match: false });
  return out;
}

/**
 * The team's conversations whose title or messages contain every search word, newest first, each with its title
 * and its newest matching message as highlighted pieces. Runs inside the tenant's transaction.
 */
export async function searchConversations(
  db: Queryable,
  tenantId: string,
  query: string,
  limit: number,
): Promise<SearchResult[]> {
  const words = searchWords(query);
  if (words.length === 0) return [];
  const tsquery = searchTsQuery(words);
  const { rows } = await db.query<{
    id: string;
    title: string;
    updated_at: Date;
    message_id: string | null;
    role: 'user' | 'assistant' | null;
    content: string | null;
  }>(
    `WITH q AS (SELECT to_tsquery('simple', $2) AS query),
     hits AS (
       SELECT DISTINCT ON (m.conversation_id) m.conversation_id, m.id, msg.role, msg.content
         FROM q, tenant_message_matches(q.query, $3) m
         JOIN messages msg ON msg.id = m.id
        ORDER BY m.conversation_id, msg.created_at DESC, msg.id
     )
     SELECT c.id, c.title, c.updated_at, h.id AS message_id, h.role, h.content
       FROM conversations c
       LEFT JOIN hits h ON h.conversation_id = c.id
      CROSS JOIN q
      WHERE c.tenant_id = $1
        AND (h.id IS NOT NULL OR to_tsvector('simple', search_normalize(c.title)) @@ q.query)
      ORDER BY c.updated_at DESC, c.id
      LIMIT $4`,
    [tenantId, tsquery, MAX_MESSAGE_MATCHES, limit],
  );
  return rows.map((r) => ({
    conversation_id: r.id,
    title: highlight(r.title, words),
    updated_at: r.updated_at.toISOString(),
    message:
      r.message_id && r.role && r.content !== null
        ? { id: r.message_id, role: r.role, excerpt: excerpt(highlight(r.content, words)) }
        : null,
  }));
}

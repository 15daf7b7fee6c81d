/**
 * The shape of the retrieved context inside a prompt. The prompt builder writes it with
 * {@link formatNumberedContext}; the offline {@link LocalChatProvider} reads it back with
 * {@link parseNumberedContext}. Keeping both here means the two cannot drift apart.
 */

export interface ContextChunk {
  /** Citation number the answer uses as `[n]`. */
  n: number;
  /** Where the chunk comes from, e.g. `guide.md, p. 3` (shown to the model, not required). */
  source?: string;
  text: string;
}

export const CONTEXT_OPEN = '<context>';
export const CONTEXT_CLOSE = '</context>';

/** Numbered chunks between `<context>` tags, each starting with `[n]` on its own header line. */
export function formatNumberedContext(chunks: readonly ContextChunk[]): string {
  const body = chunks
    .map((c) => `[${c.n}]${c.source ? ` (${c.source})` : ''}\n${c.text.trim()}`)
    .join('\n\n');
  return `${CONTEXT_OPEN}\n${body}\n${CONTEXT_CLOSE}`;
}

const HEADER = /^\[(\d+)\](?: \((.*)\))?[ \t]*$/;

/** The chunks of every `<context>` block in the text (empty when there is none or it is empty). */
export function parseNumberedContext(text: string): ContextChunk[] {
  const chunks: ContextChunk[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf(CONTEXT_OPEN, from);
    if (open < 0) break;
    const close = text.indexOf(CONTEXT_CLOSE, open);
    const block = text.slice(open + CONTEXT_OPEN.length, close < 0 ? undefined : close);
    let current: ContextChunk | undefined;
    for (const line of block.split('\n')) {
      const header = HEADER.exec(line);
      if (header) {
        current = { n: Number(header[1]), source: header[2], text: '' };
        chunks.push(current);
      } else if (current) {
        current.text += current.text ? `\n${line}` : line;
      }
    }
    if (close < 0) break;
    from = close + CONTEXT_CLOSE.length;
  }
  for (const c of chunks) c.text = c.text.trim();
  return chunks.filter((c) => c.text !== '');
}

/** The text with every `<context>` block removed (what is left of a user turn is the question). */
export function withoutContext(text: string): string {
  return text.replace(/<context>[\s\S]*?(<\/context>|$)/g, ' ').trim();
}

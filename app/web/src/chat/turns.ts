import type { Citation, Message } from '../api/types.js';

/** A turn of a conversation (a question and its answer) with its versions, oldest first. */
export interface TurnView {
  id: string;
  versions: Message[][];
}

/** The server sends messages arranged by turn and version (see arrangeVersions); this groups them. */
export function groupTurns(messages: readonly Message[]): TurnView[] {
  const turns: TurnView[] = [];
  for (const message of messages) {
    let turn = turns.at(-1);
    if (!turn || turn.id !== message.turn_id) {
      turn = { id: message.turn_id, versions: [] };
      turns.push(turn);
    }
    const index = message.version - 1;
    while (turn.versions.length <= index) turn.versions.push([]);
    turn.versions[index]!.push(message);
  }
  return turns.map((t) => ({ ...t, versions: t.versions.filter((v) => v.length > 0) }));
}

function sourceLine(c: Citation, pageLabel: (from: number, to: number | null) => string): string {
  return [c.document_name, c.heading_path.join(' › '), c.page !== null ? pageLabel(c.page, c.page_end) : '']
    .filter(Boolean)
    .join(', ');
}

/** The answer as Markdown, followed by the sources its `[n]` markers name, so a pasted copy still says where from. */
export function answerAsMarkdown(
  content: string,
  citations: readonly Citation[],
  labels: { sources: string; page(from: number, to: number | null): string },
): string {
  const cited = new Set([...content.matchAll(/\[(\d{1,3})\]/g)].map((m) => Number(m[1])));
  const used = citations.filter((c) => cited.has(c.n));
  if (used.length === 0) return content;
  return `${content.trimEnd()}\n\n${labels.sources}:\n\n${used.map((c) => `- [${c.n}] ${sourceLine(c, labels.page)}`).join('\n')}\n`;
}

/**
 * Markdown → blocks with heading paths. ATX (`#`..`######`) and setext (`===`, `---`) headings open sections;
 * fenced code is kept verbatim as one block (a `#` inside it is not a heading); front matter is kept as text.
 */
import type { ParsedBlock } from '../document.js';
import { HeadingTrail } from '../headings.js';

const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;

export function parseMarkdown(text: string): ParsedBlock[] {
  const trail = new HeadingTrail();
  const blocks: ParsedBlock[] = [];
  const lines = text.split('\n');
  let paragraph: string[] = [];
  let fence: string | undefined;

  const flush = () => {
    const body = paragraph.join('\n').replace(/^\s*\n|\s+$/g, '');
    if (body.trim() !== '') blocks.push({ text: body, headingPath: trail.path() });
    paragraph = [];
  };

  let start = 0;
  if (lines[0]?.trim() === '---') {
    const close = lines.findIndex(
      (line, i) => i > 0 && i < 200 && (line.trim() === '---' || line.trim() === '...'),
    );
    if (close > 0) {
      paragraph = lines.slice(1, close);
      flush();
      start = close + 1;
    }
  }

  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    if (fence !== undefined) {
      paragraph.push(line);
      const close = FENCE_OPEN.exec(line);
      if (
        close &&
        close[1]![0] === fence[0] &&
        close[1]!.length >= fence.length &&
        line.trim() === close[1]
      ) {
        fence = undefined;
        flush();
      }
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    if (open) {
      flush();
      fence = open[1]!;
      paragraph.push(line);
      continue;
    }
    const atx = ATX_HEADING.exec(line);
    if (atx) {
      flush();
      const title = (atx[2] ?? '').trim();
      if (title !== '') blocks.push({ text: title, headingPath: trail.enter(atx[1]!.length, title) });
      continue;
    }
    const underline = SETEXT_UNDERLINE.exec(line);
    if (underline && paragraph.length > 0) {
      const title = paragraph.join(' ').replace(/\s+/g, ' ').trim();
      paragraph = [];
      blocks.push({ text: title, headingPath: trail.enter(underline[1]![0] === '=' ? 1 : 2, title) });
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    if (underline) continue; // a thematic break (---) between paragraphs carries no text
    paragraph.push(line);
  }
  flush();
  return blocks;
}

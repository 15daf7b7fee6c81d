/**
 * Markdown → blocks with heading paths. ATX (`#`..`######`) and setext (`===`, `---`) headings open sections;
 * fenced code is kept verbatim as one block (a `#` inside it is not a heading); front matter is kept as text.
 * Everything else is stored as a reader sees it ({@link readerText}): what is indexed, quoted and cited is the
 * same stored text, so citations stay exact.
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

  const flush = (code = false) => {
    const joined = paragraph.join('\n');
    const body = (code ? joined : readerText(joined)).replace(/^\s*\n|\s+$/g, '');
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
        flush(true);
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
      const title = readerText(atx[2] ?? '').trim();
      if (title !== '') blocks.push({ text: title, headingPath: trail.enter(atx[1]!.length, title) });
      continue;
    }
    const underline = SETEXT_UNDERLINE.exec(line);
    if (underline && paragraph.length > 0) {
      const title = readerText(paragraph.join(' ')).replace(/\s+/g, ' ').trim();
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

// Inline Markdown and HTML a reader does not see as such. Badges are images inside links: the image goes first.
const HTML_COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
const AUTOLINK = /<((?:https?:\/\/|mailto:)[^>\s]+)>/g;
const HTML_IMAGE = /<img\b[^>]*?(?:\balt\s*=\s*(?:"([^"]*)"|'([^']*)'))?[^>]*>/gi;
const HTML_TAG = /<\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?\/?>/g;
const IMAGE = /!\[([^\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
const LINK = /\[([^\]]+)\]\((?:[^()\s]|\([^()]*\))*(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
const REFERENCE_IMAGE = /!\[([^\]]*)\]\[[^\]]*\]/g;
const REFERENCE_LINK = /\[([^\]]+)\]\[[^\]]*\]/g;
const LINK_DEFINITION = /^ {0,3}\[[^\]]+\]:[ \t]+\S+.*$/gm;
const STRONG = /(\*\*|__)(?=\S)([^\n]*?\S)\1/g;
const EMPHASIS_STAR = /(?<![\w*\\])\*(?=[^\s*])([^*\n]*?[^\s*\\])\*(?![\w*])/g;
const EMPHASIS_UNDERSCORE = /(?<![\w\\])_(?=[^\s_])([^_\n]*?[^\s_\\])_(?!\w)/g;
const INLINE_CODE = /(`+)[\s\S]*?\1/g;

/**
 * Text as a reader sees it: images and badges become their alt text, links their words (targets dropped, the
 * URL of a bare autolink kept, link definitions removed), HTML tags and comments go, `**`/`*`/`_` emphasis
 * marks go. Inline code is kept as written, backticks included.
 */
export function readerText(markdown: string): string {
  const out: string[] = [];
  let last = 0;
  // Links and images first, over code spans too: a link's words are often code (`[`pino-bare`](…)`).
  const text = markdown
    .replace(HTML_COMMENT, '')
    .replace(LINK_DEFINITION, '')
    .replace(IMAGE, '$1')
    .replace(REFERENCE_IMAGE, '$1')
    .replace(LINK, '$1')
    .replace(REFERENCE_LINK, '$1');
  for (const code of text.matchAll(INLINE_CODE)) {
    out.push(reduceInline(text.slice(last, code.index)), code[0]);
    last = code.index + code[0].length;
  }
  out.push(reduceInline(text.slice(last)));
  return out.join('');
}

function reduceInline(text: string): string {
  return text
    .replace(AUTOLINK, '$1')
    .replace(HTML_IMAGE, (_, double?: string, single?: string) => double ?? single ?? '')
    .replace(HTML_TAG, '')
    .replace(STRONG, '$2')
    .replace(EMPHASIS_STAR, '$1')
    .replace(EMPHASIS_UNDERSCORE, '$1')
    .replace(/[ \t]{2,}/g, ' ');
}

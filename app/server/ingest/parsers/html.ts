/**
 * HTML → blocks with heading paths, through html-to-text. Headings are rendered with a private-use marker so
 * the flat text can be cut back into sections; scripts, styles and other non-content elements are dropped.
 */
import { convert, type FormatCallback, type HtmlToTextOptions } from 'html-to-text';
import type { ParsedBlock } from '../document.js';
import { HeadingTrail } from '../headings.js';
import { normalizeText, splitParagraphs } from '../text.js';

const HEADING_MARK = '\ue000';

const headingFormatter =
  (level: number): FormatCallback =>
  (element, walk, builder) => {
    builder.openBlock({ leadingLineBreaks: 2 });
    builder.addLiteral(`${HEADING_MARK}${level}`);
    walk(element.children, builder);
    builder.closeBlock({ trailingLineBreaks: 2 });
  };

// Table cells become "a | b | c" lines: html-to-text's own table layout pads columns with spaces, which
// garbles right-to-left text and wastes tokens.
const cellFormatter: FormatCallback = (element, walk, builder) => {
  const cells = (element.parent?.children ?? []).filter((node) => node.name === 'td' || node.name === 'th');
  if (cells.indexOf(element) > 0) builder.addLiteral(' | ');
  walk(element.children, builder);
};

const DROPPED = [
  'script',
  'style',
  'noscript',
  'template',
  'head',
  'svg',
  'math',
  'iframe',
  'object',
  'embed',
  'canvas',
  'button',
  'select',
  'input',
  'textarea',
  'img',
  'picture',
  'video',
  'audio',
];

const OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  // The upload limit already bounds the size; html-to-text's own default would silently truncate at 16M chars.
  limits: { maxInputLength: 64 * 1024 * 1024 },
  formatters: {
    ...Object.fromEntries([1, 2, 3, 4, 5, 6].map((level) => [`heading${level}`, headingFormatter(level)])),
    cell: cellFormatter,
  },
  selectors: [
    ...[1, 2, 3, 4, 5, 6].map((level) => ({ selector: `h${level}`, format: `heading${level}` })),
    ...DROPPED.map((selector) => ({ selector, format: 'skip' })),
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'table', format: 'block' },
    { selector: 'tr', format: 'block', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
    { selector: 'td', format: 'cell' },
    { selector: 'th', format: 'cell' },
    { selector: 'ul', options: { itemPrefix: '- ' } },
  ],
};

export function parseHtml(html: string): ParsedBlock[] {
  const text = normalizeText(convert(html.replaceAll(HEADING_MARK, ''), OPTIONS));
  return markedTextToBlocks(text);
}

function markedTextToBlocks(text: string): ParsedBlock[] {
  const trail = new HeadingTrail();
  const blocks: ParsedBlock[] = [];
  for (const paragraph of splitParagraphs(text)) {
    const heading = new RegExp(`^\\s*${HEADING_MARK}([1-6])([\\s\\S]*)$`).exec(paragraph);
    if (heading) {
      const title = heading[2]!.replace(/\s+/g, ' ').trim();
      if (title === '') continue;
      const headingPath = trail.enter(Number(heading[1]), title);
      blocks.push({ text: title, headingPath });
    } else {
      blocks.push({ text: paragraph, headingPath: trail.path() });
    }
  }
  return blocks;
}

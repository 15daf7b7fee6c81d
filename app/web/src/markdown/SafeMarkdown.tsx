import type { Element, ElementContent } from 'hast';
import { type ComponentPropsWithoutRef, createElement, type ReactNode } from 'react';
import Markdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { textDirection, withoutCode } from './direction.js';
import {
  type MarkRanges,
  remarkFlattenBareNestedLists,
  remarkHtmlAsText,
  remarkMarkRanges,
} from './remark-plugins.js';

/** Text of an element for choosing its direction: code and nested lists have their own, so they do not vote. */
function ownText(node: ElementContent | Element): string {
  if (node.type === 'text') return node.value;
  if (node.type !== 'element') return '';
  if (['code', 'pre', 'ul', 'ol', 'table'].includes(node.tagName)) return '';
  return node.children.map(ownText).join('');
}

type BlockTag = 'p' | 'li' | 'td' | 'th' | 'h1' | 'h2' | 'h3' | 'h4' | 'h5' | 'h6' | 'blockquote';

/** A block that reads in the direction of its own text (a Persian answer may quote an English sentence). */
function Directed({
  tag,
  node,
  ...props
}: ComponentPropsWithoutRef<'div'> & { tag: BlockTag; node?: Element }) {
  const dir = node ? textDirection(ownText(node)) : undefined;
  return createElement(tag, { dir, ...props });
}

const BLOCKS: BlockTag[] = ['p', 'li', 'td', 'th', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote'];

const baseComponents: Components = {
  ...Object.fromEntries(
    BLOCKS.map((tag) => [tag, (props: ComponentPropsWithoutRef<'div'>) => <Directed tag={tag} {...props} />]),
  ),
  // Code reads left to right in monospace in both languages.
  code({ node: _node, ...props }) {
    return <code dir="ltr" {...props} />;
  },
  pre({ node: _node, ...props }) {
    return <pre dir="ltr" {...props} />;
  },
  table({ node: _node, ...props }) {
    return (
      <div className="md-table">
        <table {...props} />
      </div>
    );
  },
  a({ href, children }): ReactNode {
    return (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    );
  },
  // Images could leak who reads what to another server; show the alt text instead.
  img({ alt }) {
    return <span>{alt}</span>;
  },
};

/**
 * Markdown from a model or a document, rendered safely: raw HTML as text, no images, external links without
 * referrer, every block in the direction of its own text, code left to right, and `marks` (ranges of `text`)
 * highlighted.
 */
export function SafeMarkdown({
  text,
  components,
  marks = [],
  className = 'markdown',
}: {
  text: string;
  components?: Components;
  marks?: MarkRanges;
  className?: string;
}) {
  return (
    <div className={className} dir={textDirection(withoutCode(text)) ?? 'auto'}>
      <Markdown
        remarkPlugins={[
          remarkGfm,
          remarkHtmlAsText,
          remarkFlattenBareNestedLists,
          [remarkMarkRanges, { ranges: marks, source: text }],
        ]}
        components={{ ...baseComponents, ...components }}
      >
        {text}
      </Markdown>
    </div>
  );
}

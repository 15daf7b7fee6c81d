/** mdast transforms for every Markdown the app renders (answers, passages, documents). */

interface MdNode {
  type: string;
  value?: string;
  children?: MdNode[];
  position?: { start: { offset?: number }; end: { offset?: number } };
  data?: Record<string, unknown>;
}

const BLOCK_PARENTS = new Set(['root', 'blockquote', 'listItem']);

/**
 * Raw HTML (often quoted from a document) is shown as the text it is — never parsed, never run. react-markdown
 * would drop it silently; a reader asking about a `<script>` line should still see it.
 */
export function remarkHtmlAsText() {
  const walk = (node: MdNode) => {
    for (const [index, child] of (node.children ?? []).entries()) {
      if (child.type === 'html') {
        const text: MdNode = { type: 'text', value: child.value ?? '', position: child.position };
        node.children![index] = BLOCK_PARENTS.has(node.type) ? { type: 'paragraph', children: [text] } : text;
      } else walk(child);
    }
  };
  return (tree: MdNode) => walk(tree);
}

/**
 * A list item that holds nothing but another list ("- - item", which quoting a document's own list item
 * produces) is replaced by that list's items, instead of an empty bullet with the item nested under it.
 */
export function remarkFlattenBareNestedLists() {
  const walk = (node: MdNode) => {
    if (!node.children) return;
    for (const child of node.children) walk(child);
    if (node.type !== 'list') return;
    node.children = node.children.flatMap((item) => {
      const only = item.children?.length === 1 ? item.children[0] : undefined;
      return item.type === 'listItem' && only?.type === 'list' ? (only.children ?? []) : [item];
    });
  };
  return (tree: MdNode) => walk(tree);
}

/** Ranges `[start, end)` of the Markdown source to mark (`<mark>`): the span a citation quotes. */
export type MarkRanges = ReadonlyArray<readonly [number, number]>;

const mark = (children: MdNode[]): MdNode => ({ type: 'mark', data: { hName: 'mark' }, children });

/**
 * Wraps the text of the given source ranges in `<mark>`: a text node the range covers in part is split where the
 * range begins and ends (when the node is its source verbatim; an escaped one is marked whole).
 */
export function remarkMarkRanges(options: { ranges: MarkRanges; source: string }) {
  const { ranges, source } = options;
  const split = (node: MdNode): MdNode[] => {
    const start = node.position?.start.offset;
    const end = node.position?.end.offset;
    if (start === undefined || end === undefined) return [node];
    const hits = ranges.filter(([s, e]) => s < end && e > start);
    if (hits.length === 0) return [node];
    if (node.type !== 'text' || source.slice(start, end) !== node.value) return [mark([node])];
    const out: MdNode[] = [];
    let at = start;
    for (const [s, e] of [...hits].sort((a, b) => a[0] - b[0])) {
      const from = Math.max(s, at);
      const to = Math.min(e, end);
      if (from > at) out.push({ type: 'text', value: source.slice(at, from) });
      if (to > from) out.push(mark([{ type: 'text', value: source.slice(from, to) }]));
      at = Math.max(at, to);
    }
    if (at < end) out.push({ type: 'text', value: source.slice(at, end) });
    return out;
  };
  const overlaps = (node: MdNode) => {
    const start = node.position?.start.offset;
    const end = node.position?.end.offset;
    return start !== undefined && end !== undefined && ranges.some(([s, e]) => s < end && e > start);
  };
  const walk = (node: MdNode) => {
    if (!node.children) return;
    node.children = node.children.flatMap((child) => {
      // A code block keeps its lines as they are; the whole block is marked.
      if (child.type === 'code' && overlaps(child)) child.data = { hProperties: { className: ['quoted'] } };
      if (child.type === 'text' || child.type === 'inlineCode') return split(child);
      walk(child);
      return [child];
    });
  };
  return (tree: MdNode) => {
    if (ranges.length > 0) walk(tree);
  };
}

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { createElement, useEffect, useRef } from 'react';
import { useApi } from '../api/api-context.js';
import type { TextBlock } from '../api/types.js';
import { quotedRanges } from '../chat/quoted-span.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { Icon } from '../layout/Icon.js';
import { textDirection } from '../markdown/direction.js';
import { SafeMarkdown } from '../markdown/SafeMarkdown.js';
import { Link, navigate, useLocation } from '../router.js';

const fold = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * The blocks of a page that belong to a passage (a passage is whole blocks, possibly cut at its ends), and within
 * them the quoted span. Returns per block the ranges to mark and whether it is part of the passage.
 */
function locate(blocks: readonly TextBlock[], passage?: string, quote?: string) {
  const inPassage = new Set<number>();
  const marks = new Map<number, Array<[number, number]>>();
  if (passage) {
    const folded = fold(passage);
    blocks.forEach((block, i) => {
      const text = fold(block.text);
      // A block inside the passage, or the block the passage starts or ends in.
      if (
        text &&
        (folded.includes(text) || text.includes(folded.slice(0, 60)) || text.includes(folded.slice(-60)))
      )
        inPassage.add(i);
    });
  }
  if (quote) {
    const candidates = inPassage.size > 0 ? [...inPassage] : blocks.map((_, i) => i);
    for (const i of candidates) {
      const ranges = quotedRanges(blocks[i]!.text, [quote]);
      if (ranges.length > 0) {
        marks.set(i, ranges);
        break;
      }
    }
  }
  return { inPassage, marks };
}

/**
 * A document as text: the page a citation names (PDFs page by page, every other kind as its one page), headings
 * as headings, the cited passage set off and the quoted span marked.
 */
export function DocumentView({ documentId }: { documentId: string }) {
  const api = useApi();
  const { t } = useI18n();
  const { search } = useLocation();
  const pageNumber = Math.max(1, Number.parseInt(search.get('page') ?? '1', 10) || 1);
  const passageId = search.get('passage') ?? undefined;
  const quote = search.get('quote') ?? undefined;
  const page = useQuery({
    queryKey: ['document-page', documentId, pageNumber],
    queryFn: () => api.documentPage(documentId, pageNumber),
    placeholderData: keepPreviousData,
  });
  const passage = useQuery({
    queryKey: ['passage', documentId, passageId],
    queryFn: () => api.passage(documentId, passageId!),
    enabled: Boolean(passageId),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const data = page.data;
  const blocks = data?.blocks ?? [];
  const onCitedPage = passage.data ? (passage.data.page_start ?? 1) === pageNumber : false;
  const { inPassage, marks } = onCitedPage
    ? locate(blocks, passage.data?.content, quote)
    : { inPassage: new Set<number>(), marks: new Map<number, Array<[number, number]>>() };
  const firstCited = useRef<HTMLDivElement>(null);
  const citedKey = [...inPassage].join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll once the cited blocks are known
  useEffect(() => {
    firstCited.current?.scrollIntoView?.({ block: 'center' });
  }, [citedKey]);

  const numbers = data?.page_numbers ?? [];
  const at = numbers.indexOf(pageNumber);
  const goTo = (n: number) => {
    const query = new URLSearchParams(search);
    query.set('page', String(n));
    navigate(`/documents/${documentId}?${query}`);
  };
  const markdown = data?.document.kind === 'markdown';
  let firstAssigned = false;

  return (
    <main id="main" className="page document-view">
      <p className="breadcrumb">
        <Link to="/documents">{t.allDocuments}</Link>
      </p>
      <h1 dir="auto">{data?.document.name ?? t.working}</h1>
      <ErrorMessage error={page.error ?? undefined} />
      {data?.source === 'passages' && <p className="hint">{t.rebuiltFromPassages}</p>}
      {numbers.length > 1 && (
        <nav className="pager" aria-label={t.pageOf(pageNumber, numbers.length)}>
          <button
            type="button"
            className="icon-button"
            disabled={at <= 0}
            aria-label={t.previousPage}
            title={t.previousPage}
            onClick={() => goTo(numbers[at - 1]!)}
          >
            <Icon name="chevronStart" />
          </button>
          <label>
            <span className="visually-hidden">{t.goToPage}</span>
            <select value={pageNumber} onChange={(event) => goTo(Number(event.target.value))}>
              {numbers.map((n) => (
                <option key={n} value={n}>
                  {t.pageOf(n, numbers.length)}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="icon-button"
            disabled={at < 0 || at >= numbers.length - 1}
            aria-label={t.nextPage}
            title={t.nextPage}
            onClick={() => goTo(numbers[at + 1]!)}
          >
            <Icon name="chevronEnd" />
          </button>
        </nav>
      )}
      <article className="document-text" aria-busy={page.isFetching}>
        {data && blocks.length === 0 && <p className="empty">{t.emptyPage}</p>}
        {blocks.map((block, i) => {
          const cited = inPassage.has(i);
          const ref = cited && !firstAssigned ? firstCited : undefined;
          if (ref) firstAssigned = true;
          const level = Math.min(6, block.heading_path.length + 1);
          return (
            <div
              // biome-ignore lint/suspicious/noArrayIndexKey: blocks of one fixed page
              key={i}
              ref={ref}
              className={cited ? 'block cited' : 'block'}
              data-testid={cited ? 'cited-block' : undefined}
            >
              {block.heading ? (
                createElement(`h${level}`, { dir: textDirection(block.text) ?? 'auto' }, block.text)
              ) : markdown ? (
                <SafeMarkdown text={block.text} marks={marks.get(i)} />
              ) : (
                <PlainText text={block.text} marks={marks.get(i)} />
              )}
            </div>
          );
        })}
      </article>
    </main>
  );
}

/** Text that is not Markdown (PDF, Word, HTML, CSV, text): shown as written, line breaks kept, marks applied. */
function PlainText({ text, marks = [] }: { text: string; marks?: ReadonlyArray<readonly [number, number]> }) {
  const pieces: Array<{ text: string; mark: boolean }> = [];
  let at = 0;
  for (const [start, end] of marks) {
    if (start > at) pieces.push({ text: text.slice(at, start), mark: false });
    pieces.push({ text: text.slice(start, end), mark: true });
    at = end;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), mark: false });
  return (
    <p className="plain-block" dir={textDirection(text) ?? 'auto'}>
      {pieces.map((p, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: pieces of one fixed text
        p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>,
      )}
    </p>
  );
}

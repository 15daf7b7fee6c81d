import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { useApi } from '../api/api-context.js';
import type { Citation } from '../api/types.js';
import { formatNumber } from '../i18n/format.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { Icon } from '../layout/Icon.js';
import { SafeMarkdown } from '../markdown/SafeMarkdown.js';
import { Link } from '../router.js';
import { quotedRanges, statementsCiting } from './quoted-span.js';

export interface OpenCitation {
  citation: Citation;
  /** The answer the chip is in: its statements citing this source say which part of the passage to mark. */
  answer: string;
}

/** Where the document view opens a citation: its page, its passage, and the quoted words to mark. */
export function documentViewHref(citation: Citation, quote?: string): string {
  const query = new URLSearchParams({ page: String(citation.page ?? 1), passage: citation.chunk_id });
  if (quote) query.set('quote', quote.slice(0, 300));
  return `/documents/${citation.document_id}?${query}`;
}

/**
 * The source behind a citation chip: document, page, section and the whole passage rendered as (safe) Markdown,
 * with the span the answer relied on marked, and a link to that place in the document view.
 */
export function CitationPanel({ open, onClose }: { open: OpenCitation; onClose(): void }) {
  const { citation, answer } = open;
  const api = useApi();
  const { t, lang } = useI18n();
  const closeRef = useRef<HTMLButtonElement>(null);
  const passage = useQuery({
    queryKey: ['passage', citation.document_id, citation.chunk_id],
    queryFn: () => api.passage(citation.document_id, citation.chunk_id),
    staleTime: Number.POSITIVE_INFINITY,
  });
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, [onClose]);

  // The stored snippet shows at once; the whole passage replaces it when it arrives.
  const text = passage.data?.content ?? citation.snippet;
  const marks = quotedRanges(text, statementsCiting(answer, citation.n));
  const quote = marks[0] ? text.slice(marks[0][0], marks[0][1]) : undefined;

  return (
    <aside className="citation-panel" role="dialog" aria-modal="false" aria-labelledby="citation-title">
      <header>
        <h2 id="citation-title">
          {t.citationTitle} {formatNumber(citation.n, lang)}
        </h2>
        <button ref={closeRef} type="button" className="icon" onClick={onClose} aria-label={t.close}>
          ×
        </button>
      </header>
      <p className="citation-doc" data-testid="citation-document">
        <Link
          to={documentViewHref(citation, quote)}
          dir="auto"
          aria-label={t.openDocument(citation.document_name)}
        >
          {citation.document_name}
        </Link>
      </p>
      {citation.page !== null && <p className="citation-page">{t.page(citation.page, citation.page_end)}</p>}
      {citation.heading_path.length > 0 && (
        <p className="citation-heading" dir="auto">
          {citation.heading_path.join(' › ')}
        </p>
      )}
      <blockquote className="citation-snippet" data-testid="citation-snippet" aria-busy={passage.isPending}>
        <SafeMarkdown text={text} marks={marks} className="markdown passage" />
      </blockquote>
      {marks.length > 0 && <p className="hint small">{t.quotedHint}</p>}
      <ErrorMessage error={passage.error ?? undefined} />
      <p>
        <Link className="button" to={documentViewHref(citation, quote)}>
          <Icon name="document" />
          {t.openInDocument}
        </Link>
      </p>
    </aside>
  );
}

import { useEffect, useRef } from 'react';
import type { Citation } from '../api/types.js';
import { formatNumber } from '../i18n/format.js';
import { useI18n } from '../i18n/i18n.js';

/** The source behind a citation chip: document, page, section and the passage itself (as plain text). */
export function CitationPanel({ citation, onClose }: { citation: Citation; onClose(): void }) {
  const { t, lang } = useI18n();
  const closeRef = useRef<HTMLButtonElement>(null);
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
      <p className="citation-doc" dir="auto" data-testid="citation-document">
        {citation.document_name}
      </p>
      {citation.page !== null && <p className="citation-page">{t.page(citation.page, citation.page_end)}</p>}
      {citation.heading_path.length > 0 && (
        <p className="citation-heading" dir="auto">
          {citation.heading_path.join(' › ')}
        </p>
      )}
      <blockquote className="citation-snippet" dir="auto" data-testid="citation-snippet">
        {citation.snippet}
      </blockquote>
    </aside>
  );
}

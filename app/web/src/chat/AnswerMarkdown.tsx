import type { ReactNode } from 'react';
import type { Components } from 'react-markdown';
import type { Citation } from '../api/types.js';
import { formatNumber } from '../i18n/format.js';
import { useI18n } from '../i18n/i18n.js';
import { SafeMarkdown } from '../markdown/SafeMarkdown.js';

const CITE_HREF = /^#cite-(\d+)$/;

/** `[3]` markers become links to `#cite-3`, which the renderer turns into citation chips. */
export function linkCitations(markdown: string): string {
  return markdown.replace(/\[(\d{1,3})\](?![(:[])/g, '[$1](#cite-$1)');
}

export function AnswerMarkdown({
  text,
  citations,
  onCite,
}: {
  text: string;
  citations: Citation[];
  onCite(citation: Citation): void;
}) {
  const { t, lang } = useI18n();
  const components: Components = {
    a({ href, children }): ReactNode {
      const cite = href ? CITE_HREF.exec(href) : null;
      if (cite) {
        const n = Number(cite[1]);
        const citation = citations.find((c) => c.n === n);
        if (!citation) return <span className="cite-missing">[{formatNumber(n, lang)}]</span>;
        return (
          <button
            type="button"
            className="cite"
            onClick={() => onCite(citation)}
            aria-label={`${t.citation(n)}: ${citation.document_name}`}
            title={citation.document_name}
          >
            {formatNumber(n, lang)}
          </button>
        );
      }
      return (
        <a href={href} target="_blank" rel="noopener noreferrer nofollow">
          {children}
        </a>
      );
    },
  };
  return <SafeMarkdown text={linkCitations(text)} components={components} />;
}

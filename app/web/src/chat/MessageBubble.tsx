import type { ReactNode } from 'react';
import type { Citation } from '../api/types.js';
import { useI18n } from '../i18n/i18n.js';
import { AnswerMarkdown } from './AnswerMarkdown.js';

/** One message: the user's question as plain text, the answer as Markdown with citation chips. */
export function MessageBubble({
  author,
  content,
  citations = [],
  onCite,
  children,
  streaming,
}: {
  author: 'user' | 'assistant';
  content: string;
  citations?: Citation[];
  onCite?(citation: Citation): void;
  children?: ReactNode;
  streaming?: boolean;
}) {
  const { t } = useI18n();
  return (
    <article
      className={`message message-${author}`}
      aria-label={author === 'user' ? t.you : t.assistant}
      aria-busy={streaming || undefined}
      data-testid={`message-${author}`}
    >
      <p className="message-author">{author === 'user' ? t.you : t.assistant}</p>
      {author === 'user' ? (
        <p className="message-text" dir="auto">
          {content}
        </p>
      ) : (
        <AnswerMarkdown text={content} citations={citations} onCite={onCite ?? (() => undefined)} />
      )}
      {children}
    </article>
  );
}

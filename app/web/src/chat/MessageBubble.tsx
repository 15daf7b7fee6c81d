import type { ReactNode } from 'react';
import type { Citation } from '../api/types.js';
import { useI18n } from '../i18n/i18n.js';
import { textDirection } from '../markdown/direction.js';
import { AnswerMarkdown } from './AnswerMarkdown.js';

/** A question as the user typed it: each line in the direction of its own text. */
function QuestionText({ content }: { content: string }) {
  return (
    <div className="message-text">
      {content.split('\n').map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines of one fixed text
        <p key={i} dir={textDirection(line) ?? 'auto'}>
          {line || '\u00a0'}
        </p>
      ))}
    </div>
  );
}

/** One message: the user's question as plain text, the answer as Markdown with citation chips. */
export function MessageBubble({
  author,
  content,
  citations = [],
  onCite,
  children,
  streaming,
  id,
}: {
  author: 'user' | 'assistant';
  content: string;
  citations?: Citation[];
  onCite?(citation: Citation, answer: string): void;
  children?: ReactNode;
  streaming?: boolean;
  id?: string;
}) {
  const { t } = useI18n();
  return (
    <article
      className={`message message-${author}`}
      aria-label={author === 'user' ? t.you : t.assistant}
      aria-busy={streaming || undefined}
      data-testid={`message-${author}`}
      data-message-id={id}
    >
      <p className="message-author">{author === 'user' ? t.you : t.assistant}</p>
      {author === 'user' ? (
        <QuestionText content={content} />
      ) : (
        <AnswerMarkdown text={content} citations={citations} onCite={(c) => onCite?.(c, content)} />
      )}
      {children}
    </article>
  );
}

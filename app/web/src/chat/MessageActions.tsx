import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { MAX_FEEDBACK_COMMENT_CHARS, MAX_MESSAGE_CHARS } from '../../../server/schemas/chat.js';
import { useApi } from '../api/api-context.js';
import type { Feedback, Message } from '../api/types.js';
import { useI18n } from '../i18n/i18n.js';
import { copyText } from '../layout/clipboard.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { Icon } from '../layout/Icon.js';
import { answerAsMarkdown } from './turns.js';

const COPIED_MS = 2000;

/** ‹ 2 / 3 › between the versions of a turn (asked again by regenerating or editing). */
export function VersionSwitcher({
  version,
  versions,
  onSelect,
  disabled,
}: {
  version: number;
  versions: number;
  onSelect(version: number): void;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  if (versions < 2) return null;
  return (
    <fieldset className="versions" aria-label={t.version(version, versions)}>
      <button
        type="button"
        className="icon-button"
        aria-label={t.previousVersion}
        title={t.previousVersion}
        disabled={disabled || version <= 1}
        onClick={() => onSelect(version - 1)}
      >
        <Icon name="chevronStart" />
      </button>
      <span className="versions-label" data-testid="version-label">
        {t.versionShort(version, versions)}
      </span>
      <button
        type="button"
        className="icon-button"
        aria-label={t.nextVersion}
        title={t.nextVersion}
        disabled={disabled || version >= versions}
        onClick={() => onSelect(version + 1)}
      >
        <Icon name="chevronEnd" />
      </button>
    </fieldset>
  );
}

/** Copy as Markdown, with a moment of "Copied" (announced) where the button was. */
export function CopyButton({ message }: { message: Message }) {
  const { t } = useI18n();
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), COPIED_MS);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <>
      <button
        type="button"
        className="icon-button"
        aria-label={t.copyAnswer}
        title={t.copyAnswer}
        onClick={async () => {
          const markdown = answerAsMarkdown(message.content, message.citations, {
            sources: t.sources,
            page: t.page,
          });
          setState((await copyText(markdown)) ? 'copied' : 'failed');
        }}
      >
        <Icon name={state === 'copied' ? 'check' : 'copy'} />
        <span className="icon-button-text">{state === 'copied' ? t.copied : t.copy}</span>
      </button>
      <span className="visually-hidden" role="status">
        {state === 'copied' ? t.copied : ''}
      </span>
      {state === 'failed' && (
        <span className="error small" role="alert">
          {t.copyFailed}
        </span>
      )}
    </>
  );
}

/**
 * Thumbs up or down, stored on the server at once; then an optional comment. Pressing the chosen thumb again
 * takes the rating back.
 */
export function FeedbackButtons({ message, conversationId }: { message: Message; conversationId: string }) {
  const api = useApi();
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const [feedback, setFeedback] = useState<Feedback | null>(message.feedback);
  const [asking, setAsking] = useState(false);
  const [thanked, setThanked] = useState(false);
  const [error, setError] = useState<unknown>();
  const commentRef = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  useEffect(() => {
    if (asking) commentRef.current?.focus();
  }, [asking]);

  const saved = () => void queryClient.invalidateQueries({ queryKey: ['conversation', conversationId] });
  const rate = async (rating: Feedback['rating']) => {
    setError(undefined);
    setThanked(false);
    try {
      if (feedback?.rating === rating) {
        await api.clearRating(message.id);
        setFeedback(null);
        setAsking(false);
      } else {
        const stored = await api.rateAnswer(message.id, { rating, comment: feedback?.comment ?? null });
        setFeedback(stored.feedback);
        setAsking(true);
      }
      saved();
    } catch (caught) {
      setError(caught);
    }
  };
  const sendComment = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!feedback) return;
    const comment = String(new FormData(event.currentTarget).get('comment') ?? '').trim();
    try {
      const stored = await api.rateAnswer(message.id, { rating: feedback.rating, comment: comment || null });
      setFeedback(stored.feedback);
      setAsking(false);
      setThanked(true);
      saved();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <>
      <button
        type="button"
        className="icon-button"
        aria-label={t.goodAnswer}
        title={t.goodAnswer}
        aria-pressed={feedback?.rating === 'up'}
        onClick={() => void rate('up')}
      >
        <Icon name="thumbUp" />
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={t.badAnswer}
        title={t.badAnswer}
        aria-pressed={feedback?.rating === 'down'}
        onClick={() => void rate('down')}
      >
        <Icon name="thumbDown" />
      </button>
      {thanked && (
        <span className="hint small" role="status">
          {t.feedbackThanks}
        </span>
      )}
      {asking && (
        <form className="feedback-form" onSubmit={sendComment}>
          <label htmlFor={`${id}-comment`}>{t.feedbackCommentLabel}</label>
          <textarea
            ref={commentRef}
            id={`${id}-comment`}
            name="comment"
            dir="auto"
            rows={2}
            maxLength={MAX_FEEDBACK_COMMENT_CHARS}
            defaultValue={feedback?.comment ?? ''}
            onKeyDown={(event) => {
              if (event.key === 'Escape') setAsking(false);
            }}
          />
          <div className="form-buttons">
            <button type="submit" className="primary">
              {t.sendFeedback}
            </button>
            <button type="button" onClick={() => setAsking(false)}>
              {t.skipComment}
            </button>
          </div>
        </form>
      )}
      <ErrorMessage error={error} />
    </>
  );
}

/** The question in a box to change, then sent again as a new version of its turn. */
export function QuestionEditor({
  initial,
  onSend,
  onCancel,
}: {
  initial: string;
  onSend(text: string): void;
  onCancel(): void;
}) {
  const { t } = useI18n();
  const [text, setText] = useState(initial);
  const ref = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  useEffect(() => {
    ref.current?.focus();
    ref.current?.setSelectionRange(initial.length, initial.length);
  }, [initial]);
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const message = text.trim();
    if (message) onSend(message);
  };
  return (
    <form className="question-editor" onSubmit={submit}>
      <label htmlFor={`${id}-edit`} className="visually-hidden">
        {t.editQuestion}
      </label>
      <textarea
        ref={ref}
        id={`${id}-edit`}
        dir="auto"
        rows={3}
        maxLength={MAX_MESSAGE_CHARS}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onCancel();
          if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            submit();
          }
        }}
      />
      <div className="form-buttons">
        <button type="submit" className="primary" disabled={!text.trim()}>
          {t.sendEdited}
        </button>
        <button type="button" onClick={onCancel}>
          {t.cancel}
        </button>
      </div>
    </form>
  );
}

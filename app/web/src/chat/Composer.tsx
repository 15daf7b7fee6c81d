import { type FormEvent, type KeyboardEvent, useId, useState } from 'react';
import { MAX_MESSAGE_CHARS } from '../../../server/schemas/chat.js';
import { useI18n } from '../i18n/i18n.js';

/** The message box: Enter sends, Shift+Enter adds a line (and Enter while an IME is composing does nothing). */
export function Composer({
  streaming,
  onSend,
  onStop,
}: {
  streaming: boolean;
  onSend(text: string): void;
  onStop(): void;
}) {
  const { t, dir } = useI18n();
  const [text, setText] = useState('');
  const id = useId();
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const message = text.trim();
    if (!message || streaming) return;
    onSend(message);
    setText('');
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };
  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor={`${id}-message`} className="visually-hidden">
        {t.messageLabel}
      </label>
      <textarea
        id={`${id}-message`}
        name="message"
        // Empty, the box (and its placeholder) follows the page; typed into, each line its own text.
        dir={text.trim() ? 'auto' : dir}
        rows={2}
        maxLength={MAX_MESSAGE_CHARS}
        value={text}
        placeholder={t.messagePlaceholder}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
      />
      {streaming ? (
        <button type="button" className="danger" onClick={onStop}>
          {t.stop}
        </button>
      ) : (
        <button type="submit" className="primary" disabled={!text.trim()}>
          {t.send}
        </button>
      )}
    </form>
  );
}

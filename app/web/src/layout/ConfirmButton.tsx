import { useEffect, useId, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { useI18n } from '../i18n/i18n.js';

/**
 * A destructive action behind a confirmation (no window.confirm: it blocks the page and browser tests alike).
 * The question opens above the page, not in the row, so nothing around it moves or wraps; focus moves to it and
 * back, Escape cancels.
 */
export function ConfirmButton({
  label,
  accessibleLabel,
  question,
  onConfirm,
  disabled,
}: {
  label: string;
  accessibleLabel: string;
  question: string;
  onConfirm(): void;
  disabled?: boolean;
}) {
  const { t, dir, lang } = useI18n();
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  const id = useId();
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (wasAsking.current) triggerRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  useEffect(() => {
    if (!asking) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        setAsking(false);
      }
    };
    document.addEventListener('keydown', onKey, true);
    return () => document.removeEventListener('keydown', onKey, true);
  }, [asking]);

  return (
    <>
      <button
        ref={triggerRef}
        type="button"
        className="danger-outline"
        aria-label={accessibleLabel}
        aria-haspopup="dialog"
        disabled={disabled}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
      {asking &&
        createPortal(
          <div className="confirm-backdrop" dir={dir} lang={lang}>
            <div
              className="confirm"
              role="alertdialog"
              aria-modal="true"
              aria-labelledby={`${id}-question`}
              onKeyDown={(event) => {
                // Focus stays between the two buttons while the question is open.
                if (event.key !== 'Tab') return;
                const buttons = [...event.currentTarget.querySelectorAll('button')];
                const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
                const next = (at + (event.shiftKey ? -1 : 1) + buttons.length) % buttons.length;
                event.preventDefault();
                buttons[next]?.focus();
              }}
            >
              <p id={`${id}-question`} className="confirm-question" dir="auto">
                {question}
              </p>
              <div className="form-buttons">
                <button
                  ref={confirmRef}
                  type="button"
                  className="danger"
                  onClick={() => {
                    setAsking(false);
                    onConfirm();
                  }}
                >
                  {t.confirm}
                </button>
                <button type="button" onClick={() => setAsking(false)}>
                  {t.cancel}
                </button>
              </div>
            </div>
          </div>,
          document.body,
        )}
    </>
  );
}

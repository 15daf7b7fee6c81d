import { isApiError } from '../api/errors.js';
import { useI18n } from '../i18n/i18n.js';
import type { Messages } from '../i18n/messages.js';

/** A failure in words: what kind of problem it is in the reader's language, then the server's own reason. */
export function describeError(error: unknown, t: Messages): string {
  if (isApiError(error)) {
    const kind =
      error.status === 413
        ? t.errorTooLarge
        : error.status === 415
          ? t.errorUnsupported
          : error.status === 422
            ? t.errorUnreadable
            : error.status === 0
              ? t.errorNetwork
              : error.code === 'budget_exceeded'
                ? t.budgetExceeded
                : '';
    return kind && kind !== error.message ? `${kind} ${error.message}` : error.message;
  }
  if (error instanceof TypeError) return t.errorNetwork;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorMessage({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (error === undefined || error === null) return null;
  return (
    <p className="error" role="alert">
      {describeError(error, t)}
    </p>
  );
}

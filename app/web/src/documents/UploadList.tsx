import { formatBytes, formatPercent } from '../i18n/format.js';
import { useI18n } from '../i18n/i18n.js';
import { describeError } from '../layout/ErrorMessage.js';
import type { UploadItem } from './use-uploads.js';

/**
 * Files on their way: a progress bar while the upload runs, and the ones that will not reach the table (refused,
 * or already there). Once the server has the document, its row in the table shows the rest.
 */
export function UploadList({ items, onDismiss }: { items: UploadItem[]; onDismiss(key: string): void }) {
  const { t, lang } = useI18n();
  if (items.length === 0) return null;
  const phaseLabel: Record<UploadItem['phase'], string> = {
    uploading: t.uploading,
    ingesting: t.ingesting,
    ready: t.statusReady,
    duplicate: t.duplicate,
    failed: t.uploadFailed,
  };
  return (
    <section aria-label={t.uploads} className="uploads">
      <h2 className="visually-hidden">{t.uploads}</h2>
      <ul>
        {items.map((item) => {
          const settled = item.phase === 'ready' || item.phase === 'duplicate' || item.phase === 'failed';
          return (
            <li key={item.key} className={`upload upload-${item.phase}`} data-testid="upload">
              <div className="upload-head">
                <span className="upload-name" dir="auto">
                  {item.name}
                </span>
                <span className={`badge badge-${item.phase}`}>
                  {item.phase === 'failed' && item.error === undefined
                    ? t.statusFailed
                    : phaseLabel[item.phase]}
                </span>
                {settled && (
                  <button
                    type="button"
                    className="icon"
                    onClick={() => onDismiss(item.key)}
                    aria-label={`${t.dismiss}: ${item.name}`}
                  >
                    ×
                  </button>
                )}
              </div>
              {item.phase !== 'failed' && (
                <div className="upload-progress">
                  <progress
                    max={1}
                    value={item.progress}
                    aria-label={`${t.progressOf(item.name)} — ${phaseLabel[item.phase]}`}
                  />
                  <span aria-hidden="true">{formatPercent(item.progress, lang)}</span>
                </div>
              )}
              {item.phase === 'failed' && (
                <p className="error" role="alert">
                  {item.tooLarge
                    ? `${t.errorTooLarge} ${t.tooLargeLocal(formatBytes(item.tooLarge.size, lang), formatBytes(item.tooLarge.limit, lang))}`
                    : item.error !== undefined
                      ? describeError(item.error, t)
                      : `${t.errorUnreadable} ${item.reason ?? ''}`}
                </p>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

import { type DragEvent, useId, useRef, useState } from 'react';
import { formatBytes } from '../i18n/format.js';
import { useI18n } from '../i18n/i18n.js';

const ACCEPT = '.pdf,.docx,.md,.markdown,.html,.htm,.txt,.csv,text/*,application/pdf';

/** Drop files here or pick them; both give the same list of files to upload. */
export function UploadZone({ onFiles, maxBytes }: { onFiles(files: File[]): void; maxBytes?: number }) {
  const { t, lang } = useI18n();
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const id = useId();

  const drop = (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setOver(false);
    const files = Array.from(event.dataTransfer.files);
    if (files.length) onFiles(files);
  };

  return (
    <section
      className={over ? 'dropzone over' : 'dropzone'}
      aria-labelledby={`${id}-title`}
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={drop}
    >
      <p id={`${id}-title`} className="dropzone-title">
        {t.dropHere}
      </p>
      <p className="hint">
        {t.dropHint}
        {maxBytes !== undefined && (
          <>
            {' '}
            <span data-testid="upload-limit">{t.uploadLimit(formatBytes(maxBytes, lang))}</span>
          </>
        )}
      </p>
      <label className="button primary" htmlFor={`${id}-input`}>
        {t.chooseFiles}
      </label>
      <input
        ref={input}
        id={`${id}-input`}
        className="visually-hidden-input"
        type="file"
        multiple
        accept={ACCEPT}
        onChange={(event) => {
          const files = Array.from(event.currentTarget.files ?? []);
          if (files.length) onFiles(files);
          // Let the same file be picked again after a failure.
          event.currentTarget.value = '';
        }}
      />
    </section>
  );
}

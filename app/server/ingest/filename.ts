/**
 * Makes an uploaded file name safe to store and show: the browser may send a full path, control characters or
 * bidirectional overrides (an RTL override makes "invoice‮fdp.exe" display as "invoiceexe.pdf"). Persian
 * letters and ZWNJ are kept.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\ufeff]/g;

export const MAX_FILENAME_LENGTH = 200;

export function sanitizeFilename(raw: string, fallback = 'document'): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  let name = base
    .normalize('NFC')
    .replace(/[\t\n\r]/g, ' ')
    .replace(UNSAFE, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+|[.\s]+$/g, '');
  if ([...name].length > MAX_FILENAME_LENGTH) name = shorten(name);
  return name === '' ? fallback : name;
}

/** Keeps the extension and cuts the stem by code points, never inside a surrogate pair. */
function shorten(name: string): string {
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  const stem = [...name.slice(0, name.length - extension.length)];
  return (
    stem
      .slice(0, MAX_FILENAME_LENGTH - [...extension].length)
      .join('')
      .trimEnd() + extension
  );
}

/**
 * Text clean-up shared by every parser. Persian needs care: NFC (not NFKC, which would rewrite characters the
 * author chose), ZWNJ U+200C kept because it separates parts of a word (می‌خواهم ≠ میخواهم), and no slicing in the
 * middle of a character.
 */

// C0/C1 controls except tab and newline, DEL, BOM/ZWNBSP, and the Unicode replacement for NUL-like noise.
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff]/g;

/** NFC, unified newlines, control characters removed, trailing spaces per line trimmed. */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\u2028\u2029]/g, '\n')
    .replace(CONTROL_CHARACTERS, '')
    .normalize('NFC')
    .replace(/[ \t\u00a0]+$/gm, '');
}

/** Paragraphs: runs of text separated by blank lines, each trimmed, empty ones dropped. */
export function splitParagraphs(text: string): string[] {
  return text
    .split(/\n[ \t]*\n+/)
    .map((paragraph) => paragraph.replace(/^\n+|\s+$/g, ''))
    .filter((paragraph) => paragraph.trim() !== '');
}

/**
 * Decodes text bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM (what Windows Notepad writes).
 * Returns undefined for bytes that are not text in those encodings.
 */
export function decodeText(bytes: Uint8Array, { partial = false } = {}): string | undefined {
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) {
      return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2), { stream: partial });
    }
    if (bytes[0] === 0xfe && bytes[1] === 0xff) {
      return new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2), { stream: partial });
    }
    // `stream: true` tolerates a character cut at the end of a partial head.
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes, {
      stream: partial,
    });
    return text.includes('\u0000') ? undefined : text;
  } catch {
    return undefined;
  }
}

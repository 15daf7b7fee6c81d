/**
 * Normalisation applied before lexical features are taken, so that spellings a reader considers the same word
 * produce the same features. Persian text especially arrives in several encodings of one word: Arabic yeh and
 * kaf instead of the Persian letters, Persian or Arabic-Indic digits, tatweel and diacritics, and the zero-width
 * non-joiner (ZWNJ) that may or may not separate the parts of "می‌خواهم".
 */

const ZWNJ = '\u200c';

// Arabic letters that Persian keyboards and old documents use for their Persian look-alikes.
const LETTER_MAP: Record<string, string> = {
  '\u064a': '\u06cc', // ي Arabic yeh → ی Persian yeh
  '\u0649': '\u06cc', // ى alef maksura → ی
  '\u0643': '\u06a9', // ك Arabic kaf → ک Persian kaf
  '\u0629': '\u0647', // ة teh marbuta → ه
  '\u0623': '\u0627', // أ → ا
  '\u0625': '\u0627', // إ → ا
  '\u0671': '\u0627', // ٱ → ا
};

// Only characters in the Arabic block (and ZWNJ) need folding; everything else passes through untouched, so
// English text pays for one regex scan and no per-character work.
const FOLDABLE = /[\u0600-\u06ff\u200c]/g;

function fold(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code >= 0x06f0 && code <= 0x06f9) return String.fromCharCode(code - 0x06f0 + 48); // Persian digits
  if (code >= 0x0660 && code <= 0x0669) return String.fromCharCode(code - 0x0660 + 48); // Arabic-Indic digits
  if ((code >= 0x064b && code <= 0x065f) || code === 0x0670 || code === 0x0640) return ''; // harakat, tatweel
  if (ch === ZWNJ) return ''; // "می‌خواهم" and "میخواهم" are one word for matching
  return LETTER_MAP[ch] ?? ch;
}

/** Lower-cased, NFKC-normalised text with Persian/Arabic variants and digits folded to one form. */
export function normalizeForMatching(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(FOLDABLE, fold);
}

/** Words of normalised text: runs of letters, marks and digits in any script. */
export function words(normalized: string): string[] {
  return normalized.match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
}

/** The folding of SQL `search_normalize` (migration 008) alone, without case or NFKC: for mapping matches back. */
export function searchNormalize(text: string): string {
  return text.replace(FOLDABLE, fold);
}

/** Letters of the right-to-left scripts: Hebrew, Arabic (Persian), Syriac, Thaana, N'Ko and their presentation forms. */
const RTL_LETTER = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/u;
const LETTER = /\p{L}/u;

/**
 * The direction a block of text reads in: the script most of its letters are in. Unlike the first strong letter
 * (what `dir="auto"` uses), a Persian sentence that starts with an English name stays right to left, and an
 * English sentence quoting one Persian word stays left to right. Undefined when the text has no letters (digits,
 * punctuation): such a block takes its surroundings' direction.
 */
export function textDirection(text: string): 'ltr' | 'rtl' | undefined {
  let rtl = 0;
  let ltr = 0;
  for (const ch of text) {
    if (RTL_LETTER.test(ch)) rtl++;
    else if (LETTER.test(ch)) ltr++;
  }
  if (rtl === 0 && ltr === 0) return undefined;
  return rtl > ltr ? 'rtl' : 'ltr';
}

/** Markdown without its code (code is left to right whatever surrounds it, so it does not vote). */
export function withoutCode(markdown: string): string {
  return markdown.replace(/```[\s\S]*?(```|$)|~~~[\s\S]*?(~~~|$)|`[^`\n]*`/g, ' ');
}

/**
 * Arabic-script presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFF): the shaped glyph codes some PDF producers
 * write instead of letters. PDF.js maps only a few of them back to letters, so Persian from such PDFs would be
 * unsearchable, and since PDF.js drops invisible U+200C (ZWNJ), "می‌خواهم" would become "میخواهم".
 * The shapes still tell where a ZWNJ was: a letter that can join forward but is drawn unjoined, directly
 * followed by a letter drawn unjoined backward, was separated by a ZWNJ.
 *
 * The table is derived from Unicode itself: inside these blocks the forms of one letter are consecutive code
 * points in the order isolated, final, initial, medial (two forms for letters that only join backward).
 */

export type JoiningForm = 'isolated' | 'final' | 'initial' | 'medial';

interface FormInfo {
  letter: string;
  form: JoiningForm;
  /** The letter has initial/medial forms, i.e. it can join the letter after it. */
  dualJoining: boolean;
}

const ORDER: JoiningForm[] = ['isolated', 'final', 'initial', 'medial'];
const RANGES: Array<[number, number]> = [
  [0xfb50, 0xfbff],
  [0xfe80, 0xfefc],
];

const byCodePoint = new Map<number, FormInfo>();
const byLetter = new Map<string, Partial<Record<JoiningForm, string>>>();

for (const [from, to] of RANGES) {
  let cp = from;
  while (cp <= to) {
    const letter = String.fromCodePoint(cp).normalize('NFKC');
    if (letter.length !== 1 || !/\p{L}/u.test(letter)) {
      // Ligatures of two letters (lam-alef) join backward only, like alef: record them as two-form groups.
      if (letter.length === 2 && cp >= 0xfef5) {
        for (let k = 0; k < 2; k++) byCodePoint.set(cp + k, { letter, form: ORDER[k]!, dualJoining: false });
        cp += 2;
      } else cp += 1;
      continue;
    }
    let size = 1;
    while (size < 4 && cp + size <= to && String.fromCodePoint(cp + size).normalize('NFKC') === letter)
      size++;
    const forms: Partial<Record<JoiningForm, string>> = byLetter.get(letter) ?? {};
    for (let k = 0; k < size; k++) {
      byCodePoint.set(cp + k, { letter, form: ORDER[k]!, dualJoining: size === 4 });
      forms[ORDER[k]!] ??= String.fromCodePoint(cp + k);
    }
    if (!byLetter.has(letter)) byLetter.set(letter, forms);
    cp += size;
  }
}

const PRESENTATION_FORM = /[\ufb50-\ufdff\ufe70-\ufefc]/u;
const ZWNJ = '\u200c';

/** Letters back from presentation forms, with ZWNJ restored where the shapes show one. Logical order in. */
export function unshapePresentationForms(text: string): string {
  if (!PRESENTATION_FORM.test(text)) return text;
  const chars = [...text];
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const here = byCodePoint.get(chars[i]!.codePointAt(0)!);
    out += here ? here.letter : chars[i]!.normalize('NFKC');
    const next = i + 1 < chars.length ? byCodePoint.get(chars[i + 1]!.codePointAt(0)!) : undefined;
    if (
      here?.dualJoining &&
      (here.form === 'isolated' || here.form === 'final') &&
      next &&
      (next.form === 'isolated' || next.form === 'initial')
    ) {
      out += ZWNJ;
    }
  }
  return out;
}

/** The presentation form of `letter`, if Unicode has one (used to build realistic test PDFs). */
export function presentationForm(letter: string, form: JoiningForm): string | undefined {
  const forms = byLetter.get(letter);
  return forms?.[form];
}

/** Whether the letter has initial/medial forms (joins the next letter) in the presentation blocks. */
export function joinsForward(letter: string): boolean {
  return byLetter.get(letter)?.initial !== undefined;
}

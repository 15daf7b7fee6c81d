export type Lang = 'en' | 'fa';

/** Number formatting per language: Persian digits and separators in Persian. */
export function formatNumber(value: number, lang: Lang): string {
  return new Intl.NumberFormat(lang === 'fa' ? 'fa-IR' : 'en-GB').format(value);
}

export function formatBytes(bytes: number, lang: Lang): string {
  const units = lang === 'fa' ? ['بایت', 'ک‌ب', 'م‌ب', 'گ‌ب'] : ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  const number = new Intl.NumberFormat(lang === 'fa' ? 'fa-IR' : 'en-GB', {
    maximumFractionDigits: digits,
  }).format(value);
  return `${number} ${units[unit]}`;
}

/** Whole percent, with Persian digits in Persian. */
export function formatPercent(fraction: number, lang: Lang): string {
  return new Intl.NumberFormat(lang === 'fa' ? 'fa-IR' : 'en-GB', { style: 'percent' }).format(
    Math.max(0, Math.min(1, fraction)),
  );
}

const jalali = new Intl.DateTimeFormat('fa-IR-u-ca-persian', { dateStyle: 'medium' });
const gregorian = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium' });
const jalaliTime = new Intl.DateTimeFormat('fa-IR-u-ca-persian', { dateStyle: 'medium', timeStyle: 'short' });
const gregorianTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

export interface DualDate {
  /** Persian (Jalali) calendar, Persian digits. */
  jalali: string;
  gregorian: string;
}

/** A moment in both calendars; the page shows the reader's language first. */
export function formatDualDate(iso: string | Date, withTime = false): DualDate {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return { jalali: String(iso), gregorian: String(iso) };
  return withTime
    ? { jalali: jalaliTime.format(date), gregorian: gregorianTime.format(date) }
    : { jalali: jalali.format(date), gregorian: gregorian.format(date) };
}

/**
 * A calendar day `YYYY-MM-DD` (billing days are already local to the billing time zone): formatted at noon UTC
 * so no time zone moves it to the neighbouring day.
 */
export function formatDualDay(day: string): DualDate {
  const date = new Date(`${day}T12:00:00Z`);
  if (Number.isNaN(date.getTime())) return { jalali: day, gregorian: day };
  const options = { dateStyle: 'medium', timeZone: 'UTC' } as const;
  return {
    jalali: new Intl.DateTimeFormat('fa-IR-u-ca-persian', options).format(date),
    gregorian: new Intl.DateTimeFormat('en-GB', options).format(date),
  };
}

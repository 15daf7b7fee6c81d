/**
 * The billed period: one calendar day in the billing time zone (BILLING_TIMEZONE, default Asia/Tehran), with its
 * exact bounds as instants, so the ledger sum, the Prometheus evaluation time and the invoice all agree.
 */

export interface BillingPeriod {
  /** The billed day, `YYYY-MM-DD` in `timeZone`. */
  day: string;
  timeZone: string;
  /** Local midnight at the start of the day (inclusive). */
  from: Date;
  /** Local midnight at the start of the next day (exclusive); 23 or 25 hours after `from` on a DST change. */
  to: Date;
}

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Creating an Intl.DateTimeFormat costs far more than formatting with it (a billing run formats four dates per
 * invoice e-mail), so each locale and options pair is created once.
 */
const formats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale} ${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    formats.set(key, format);
  }
  return format;
}

/** Throws a one-line error unless `day` is a real calendar date written `YYYY-MM-DD`. */
export function parseDay(day: string): { year: number; month: number; date: number } {
  const match = DAY_PATTERN.exec(day);
  if (match) {
    const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const check = new Date(Date.UTC(year, month - 1, date));
    if (check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === date) {
      return { year, month, date };
    }
  }
  throw new Error(
    `Invalid date ${JSON.stringify(day)}: expected a calendar day written YYYY-MM-DD, e.g. 2025-10-05`,
  );
}

/** `YYYY-MM-DD` of the instant `at` as seen in `timeZone`. */
export function localDay(at: Date, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return dateFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** `YYYY-MM-DD HH:mm:ss` of `at` in `timeZone`, as in the seed's log banner. */
export function localDateTime(at: Date, timeZone: string): string {
  const parts = dateFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

/** Milliseconds `timeZone` is ahead of UTC at the instant `at`. */
function offsetAt(at: number, timeZone: string): number {
  const [date, time] = localDateTime(new Date(at), timeZone).split(' ') as [string, string];
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm, ss] = time.split(':').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d, hh, mm, ss) - (at - (at % 1000));
}

/** The instant of local midnight starting `day` in `timeZone`. */
export function startOfDay(day: string, timeZone: string): Date {
  const { year, month, date } = parseDay(day);
  const wall = Date.UTC(year, month - 1, date);
  // Iterate because the offset at the guess may differ from the offset at the answer (DST changes).
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const next = wall - offsetAt(guess, timeZone);
    if (next === guess) break;
    guess = next;
  }
  return new Date(guess);
}

/** The day after `day`, `YYYY-MM-DD`. */
export function nextDay(day: string): string {
  const { year, month, date } = parseDay(day);
  return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
}

export function billingPeriod(day: string, timeZone: string): BillingPeriod {
  return { day, timeZone, from: startOfDay(day, timeZone), to: startOfDay(nextDay(day), timeZone) };
}

/** The last complete day before `now` in `timeZone`: what the 03:00 CronJob bills. */
export function previousDay(now: Date, timeZone: string): string {
  const { year, month, date } = parseDay(localDay(now, timeZone));
  return new Date(Date.UTC(year, month - 1, date - 1)).toISOString().slice(0, 10);
}

/** The day in the Persian (Jalali) calendar, in Persian (۱۳ مهر ۱۴۰۴) and in Latin letters (13 Mehr 1404 AP). */
export function jalaliDay(day: string): { fa: string; en: string } {
  const { year, month, date } = parseDay(day);
  // Noon UTC is the same calendar day everywhere we format it.
  const noon = new Date(Date.UTC(year, month - 1, date, 12));
  const options = { timeZone: 'UTC', dateStyle: 'long' } as const;
  return {
    fa: dateFormat('fa-IR-u-ca-persian', options).format(noon),
    en: dateFormat('en-u-ca-persian', options).format(noon),
  };
}

/** The day in the Gregorian calendar, in Persian digits and month names (۵ اکتبر ۲۰۲۵) and in English. */
export function gregorianDay(day: string): { fa: string; en: string } {
  const { year, month, date } = parseDay(day);
  const noon = new Date(Date.UTC(year, month - 1, date, 12));
  const options = { timeZone: 'UTC', dateStyle: 'long' } as const;
  return {
    fa: dateFormat('fa-IR-u-ca-gregory', options).format(noon),
    en: dateFormat('en-GB-u-ca-gregory', options).format(noon),
  };
}

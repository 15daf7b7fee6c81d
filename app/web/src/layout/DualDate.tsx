import { type DualDate as Dual, formatDualDate, formatDualDay } from '../i18n/format.js';
import { useI18n } from '../i18n/i18n.js';

/** A date in both calendars, the reader's language first; `day` is a calendar day `YYYY-MM-DD`. */
export function DualDate({ iso, day, withTime }: { iso?: string; day?: string; withTime?: boolean }) {
  const { lang } = useI18n();
  const value: Dual = day ? formatDualDay(day) : formatDualDate(iso ?? '', withTime);
  const [first, second] = lang === 'fa' ? [value.jalali, value.gregorian] : [value.gregorian, value.jalali];
  return (
    <time dateTime={day ?? iso} className="dual-date">
      <span dir="auto">{first}</span>{' '}
      <span className="secondary" dir="auto" lang={lang === 'fa' ? 'en' : 'fa'}>
        {second}
      </span>
    </time>
  );
}

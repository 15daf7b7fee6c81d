import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useApi } from '../api/api-context.js';
import type { Lang } from '../i18n/format.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { type Theme, useTheme, useThemeLabels } from '../layout/theme.js';

/** The reader's own settings: language and theme (kept in this browser), and who they are signed in as. */
export function SettingsPage() {
  const api = useApi();
  const { t, lang, setLang } = useI18n();
  const { theme, setTheme } = useTheme();
  const themeLabels = useThemeLabels();
  const id = useId();
  const me = useQuery({ queryKey: ['me'], queryFn: () => api.me(), staleTime: 5 * 60_000 });
  const languages: Array<[Lang, string]> = [
    ['fa', t.switchToPersian],
    ['en', t.switchToEnglish],
  ];
  return (
    <main id="main" className="page settings">
      <h1>{t.settingsTitle}</h1>
      <section className="card" aria-labelledby={`${id}-appearance`}>
        <h2 id={`${id}-appearance`}>{t.appearance}</h2>
        <fieldset>
          <legend>{t.language}</legend>
          {languages.map(([value, label]) => (
            <label key={value} className="choice" lang={value}>
              <input
                type="radio"
                name="language"
                value={value}
                checked={lang === value}
                onChange={() => setLang(value)}
              />
              {label}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t.theme}</legend>
          {(['system', 'light', 'dark'] as Theme[]).map((value) => (
            <label key={value} className="choice">
              <input
                type="radio"
                name="theme"
                value={value}
                checked={theme === value}
                onChange={() => setTheme(value)}
              />
              {themeLabels[value]}
            </label>
          ))}
        </fieldset>
      </section>
      <section className="card" aria-labelledby={`${id}-account`}>
        <h2 id={`${id}-account`}>{t.account}</h2>
        <ErrorMessage error={me.error ?? undefined} />
        {me.data && (
          <dl className="facts">
            <dt>{t.fullName}</dt>
            <dd dir="auto">{me.data.full_name}</dd>
            <dt>{t.email}</dt>
            <dd dir="ltr">{me.data.email}</dd>
            <dt>{t.team}</dt>
            <dd dir="auto">{me.data.tenant.name}</dd>
            <dt>{t.role}</dt>
            <dd>{t.roles[me.data.role] ?? me.data.role}</dd>
          </dl>
        )}
      </section>
    </main>
  );
}

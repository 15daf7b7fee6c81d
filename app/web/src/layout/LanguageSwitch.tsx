import { useI18n } from '../i18n/i18n.js';

/** Persian ⇄ English. The button names the language it switches to, in that language. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  const next = lang === 'fa' ? 'en' : 'fa';
  return (
    <button
      type="button"
      className="language-switch"
      lang={next}
      aria-label={`${t.switchLanguageLabel}: ${next === 'fa' ? t.switchToPersian : t.switchToEnglish}`}
      onClick={() => setLang(next)}
    >
      {next === 'fa' ? t.switchToPersian : t.switchToEnglish}
    </button>
  );
}

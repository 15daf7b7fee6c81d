import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { Lang } from './format.js';
import { en, fa, type Messages } from './messages.js';

interface I18n {
  lang: Lang;
  t: Messages;
  dir: 'ltr' | 'rtl';
  setLang(lang: Lang): void;
}

const I18nContext = createContext<I18n | undefined>(undefined);
const KEY = 'docuchat.lang';

function initialLang(): Lang {
  try {
    const saved = globalThis.localStorage?.getItem(KEY);
    if (saved === 'fa' || saved === 'en') return saved;
  } catch {
    // no storage
  }
  return globalThis.navigator?.language?.startsWith('fa') ? 'fa' : 'en';
}

/**
 * The language of the whole page: sets `lang` and `dir` on <html>, so the browser mirrors the layout (the CSS
 * uses logical properties only) and screen readers pronounce the right language.
 */
export function I18nProvider({ children, lang: fixed }: { children: ReactNode; lang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(fixed ?? initialLang);
  const dir = lang === 'fa' ? 'rtl' : 'ltr';
  useEffect(() => {
    document.documentElement.lang = lang;
    document.documentElement.dir = dir;
  }, [lang, dir]);
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      globalThis.localStorage?.setItem(KEY, next);
    } catch {
      // no storage
    }
  }, []);
  const value = useMemo(
    () => ({ lang, dir, t: lang === 'fa' ? fa : en, setLang }) as const,
    [lang, dir, setLang],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}

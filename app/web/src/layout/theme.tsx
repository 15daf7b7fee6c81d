import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useI18n } from '../i18n/i18n.js';
import { Icon } from './Icon.js';

/** `system` follows the device (prefers-color-scheme); the others override it. */
export type Theme = 'system' | 'light' | 'dark';

const KEY = 'docuchat.theme';
const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

export function storedTheme(): Theme {
  try {
    const saved = globalThis.localStorage?.getItem(KEY);
    if (saved === 'light' || saved === 'dark') return saved;
  } catch {
    // no storage
  }
  return 'system';
}

/** Sets the theme on <html> (the stylesheet reads `data-theme`, and the device's setting when it is absent). */
export function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

interface ThemeState {
  theme: Theme;
  setTheme(theme: Theme): void;
}

const ThemeContext = createContext<ThemeState | undefined>(undefined);

export function ThemeProvider({ children }: { children: ReactNode }) {
  const [theme, setState] = useState<Theme>(storedTheme);
  useEffect(() => applyTheme(theme), [theme]);
  const setTheme = useCallback((next: Theme) => {
    setState(next);
    try {
      if (next === 'system') globalThis.localStorage?.removeItem(KEY);
      else globalThis.localStorage?.setItem(KEY, next);
    } catch {
      // no storage: the choice lasts as long as the tab
    }
  }, []);
  const value = useMemo(() => ({ theme, setTheme }), [theme, setTheme]);
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}

export function useTheme(): ThemeState {
  const value = useContext(ThemeContext);
  if (!value) throw new Error('useTheme outside ThemeProvider');
  return value;
}

export function useThemeLabels(): Record<Theme, string> {
  const { t } = useI18n();
  return { system: t.themeSystem, light: t.themeLight, dark: t.themeDark };
}

/** One button in the header: system → light → dark → system. */
export function ThemeSwitch() {
  const { theme, setTheme } = useTheme();
  const { t } = useI18n();
  const labels = useThemeLabels();
  const next = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length]!;
  return (
    <button
      type="button"
      className="icon-button theme-switch"
      aria-label={t.themeButton(labels[theme])}
      title={t.themeButton(labels[theme])}
      onClick={() => setTheme(next)}
    >
      <Icon name={theme === 'dark' ? 'moon' : theme === 'light' ? 'sun' : 'system'} />
    </button>
  );
}

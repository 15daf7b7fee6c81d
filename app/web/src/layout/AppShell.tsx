import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useApi } from '../api/api-context.js';
import { useI18n } from '../i18n/i18n.js';
import { Link, navigate, useLocation } from '../router.js';
import { LanguageSwitch } from './LanguageSwitch.js';
import { ThemeSwitch } from './theme.js';

/** Who may read the team's feedback; the server decides (403), this only hides a link they could not use. */
export const isTeamAdmin = (role: string) => role === 'owner' || role === 'admin';

/** Header with the app's sections, the language switch and sign-out; the page below. */
export function AppShell({ children }: { children: ReactNode }) {
  const api = useApi();
  const { t } = useI18n();
  const { path } = useLocation();
  const me = useQuery({ queryKey: ['me'], queryFn: () => api.me(), staleTime: 5 * 60_000 });
  const sections = [
    { to: '/documents', label: t.navDocuments },
    { to: '/chat', label: t.navChat },
    { to: '/billing', label: t.navBilling },
    ...(me.data && isTeamAdmin(me.data.role) ? [{ to: '/feedback', label: t.navFeedback }] : []),
    { to: '/settings', label: t.navSettings },
  ];
  return (
    <>
      <a className="skip-link" href="#main">
        {t.skipToContent}
      </a>
      <header className="app-header">
        <Link to="/documents" className="brand-link">
          {t.appName}
        </Link>
        <nav aria-label={t.mainNavigation}>
          <ul>
            {sections.map((section) => (
              <li key={section.to}>
                <Link to={section.to} aria-current={path.startsWith(section.to) ? 'page' : undefined}>
                  {section.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="header-tools">
          {me.data && (
            <span className="who" title={t.signedInAs(me.data.email)} dir="auto">
              {me.data.tenant.name}
            </span>
          )}
          <LanguageSwitch />
          <ThemeSwitch />
          <button
            type="button"
            onClick={() => {
              void api.logout();
              navigate('/', { replace: true });
            }}
          >
            {t.signOut}
          </button>
        </div>
      </header>
      {children}
    </>
  );
}

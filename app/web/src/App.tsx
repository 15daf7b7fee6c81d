import { type ReactElement, useEffect } from 'react';
import { useSignedIn } from './api/api-context.js';
import { AuthPage } from './auth/AuthPage.js';
import { BillingPage } from './billing/BillingPage.js';
import { ChatPage } from './chat/ChatPage.js';
import { DocumentsPage } from './documents/DocumentsPage.js';
import { DocumentView } from './documents/DocumentView.js';
import { FeedbackPage } from './feedback/FeedbackPage.js';
import { useI18n } from './i18n/i18n.js';
import { AppShell } from './layout/AppShell.js';
import { LanguageSwitch } from './layout/LanguageSwitch.js';
import { ThemeSwitch } from './layout/theme.js';
import { Link, navigate, useLocation } from './router.js';
import { SettingsPage } from './settings/SettingsPage.js';

const CHAT_PATH = /^\/chat(?:\/([0-9a-f-]{36}))?\/?$/i;
const DOCUMENT_PATH = /^\/documents\/([0-9a-f-]{36})\/?$/i;

export function App() {
  const signedIn = useSignedIn();
  const { path } = useLocation();
  const { t } = useI18n();

  useEffect(() => {
    if (signedIn && (path === '/' || path === '')) navigate('/documents', { replace: true });
  }, [signedIn, path]);

  if (!signedIn) {
    return (
      <>
        <div className="auth-tools">
          <LanguageSwitch />
          <ThemeSwitch />
        </div>
        <AuthPage />
      </>
    );
  }

  const chat = CHAT_PATH.exec(path);
  const documentView = DOCUMENT_PATH.exec(path);
  let page: ReactElement;
  if (path === '/' || path === '/documents') page = <DocumentsPage />;
  else if (chat) page = <ChatPage conversationId={chat[1]} />;
  else if (documentView) page = <DocumentView documentId={documentView[1]!} />;
  else if (path === '/billing') page = <BillingPage />;
  else if (path === '/settings') page = <SettingsPage />;
  else if (path === '/feedback') page = <FeedbackPage />;
  else
    page = (
      <main id="main" className="page">
        <h1>{t.notFoundTitle}</h1>
        <Link to="/documents">{t.backHome}</Link>
      </main>
    );
  return <AppShell>{page}</AppShell>;
}

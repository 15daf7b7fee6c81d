import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { ApiProvider } from './api/api-context.js';
import { ApiClient } from './api/client.js';
import { isApiError } from './api/errors.js';
import { SessionStore } from './api/session-store.js';
import { I18nProvider } from './i18n/i18n.js';
import { applyTheme, storedTheme, ThemeProvider } from './layout/theme.js';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // 4xx answers will not change by asking again; network hiccups and 5xx may.
      retry: (count, error) => count < 2 && !(isApiError(error) && error.status >= 400 && error.status < 500),
      refetchOnWindowFocus: true,
    },
  },
});
const api = new ApiClient(new SessionStore());
// Before the first paint, so a dark choice never flashes light.
applyTheme(storedTheme());

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ApiProvider client={api}>
        <I18nProvider>
          <ThemeProvider>
            <App />
          </ThemeProvider>
        </I18nProvider>
      </ApiProvider>
    </QueryClientProvider>
  </StrictMode>,
);

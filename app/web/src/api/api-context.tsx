import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useSyncExternalStore } from 'react';
import type { ApiClient } from './client.js';

const ApiContext = createContext<ApiClient | undefined>(undefined);

export function ApiProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi outside ApiProvider');
  return client;
}

/** True while a session exists; flips to false when the user signs out or a refresh is refused. */
export function useSignedIn(): boolean {
  const api = useApi();
  const queryClient = useQueryClient();
  const signedIn = useSyncExternalStore(
    (notify) => api.session.subscribe(notify),
    () => api.session.get() !== null,
  );
  useEffect(() => {
    // Another account must never see the previous one's cached documents or conversations.
    if (!signedIn) queryClient.clear();
  }, [signedIn, queryClient]);
  return signedIn;
}

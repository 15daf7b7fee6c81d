import type { TokenResponse } from './types.js';

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
}

const KEY = 'docuchat.session';

type Listener = (tokens: SessionTokens | null) => void;

/**
 * The signed-in session's tokens, kept in localStorage so a reload stays signed in. Listeners hear every change,
 * so a failed refresh anywhere signs the whole app out.
 */
export class SessionStore {
  private tokens: SessionTokens | null;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly storage: Storage | undefined = globalThis.localStorage) {
    this.tokens = SessionStore.read(storage);
  }

  private static read(storage: Storage | undefined): SessionTokens | null {
    try {
      const raw = storage?.getItem(KEY);
      if (!raw) return null;
      const parsed = JSON.parse(raw) as Partial<SessionTokens>;
      return parsed.accessToken && parsed.refreshToken
        ? { accessToken: parsed.accessToken, refreshToken: parsed.refreshToken }
        : null;
    } catch {
      return null;
    }
  }

  get(): SessionTokens | null {
    return this.tokens;
  }

  setFromResponse(response: TokenResponse): void {
    this.set({ accessToken: response.access_token, refreshToken: response.refresh_token });
  }

  set(tokens: SessionTokens | null): void {
    this.tokens = tokens;
    try {
      if (tokens) this.storage?.setItem(KEY, JSON.stringify(tokens));
      else this.storage?.removeItem(KEY);
    } catch {
      // Private mode without storage: the session lasts as long as the tab.
    }
    for (const listener of this.listeners) listener(tokens);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

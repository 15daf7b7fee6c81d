import { API_PREFIX } from '../../../config/http.js';
import { ApiError, apiErrorFrom, apiErrorFromText } from './errors.js';
import type { SessionStore } from './session-store.js';
import { readSse } from './sse.js';
import type {
  ChatBody,
  ChatStreamEvent,
  ConversationDetail,
  ConversationList,
  ConversationSummary,
  DocumentList,
  DocumentPage,
  DocumentSummary,
  FeedbackBody,
  FeedbackResponse,
  Invoice,
  LimitsResponse,
  LoginBody,
  MeResponse,
  Passage,
  RegisterBody,
  RegisterResponse,
  SearchResponse,
  TeamFeedback,
  TokenResponse,
  UploadResponse,
  UsageResponse,
} from './types.js';

interface RequestOptions {
  json?: unknown;
  signal?: AbortSignal;
}

/**
 * The one typed client of the DocuChat API. Every authenticated call carries the access token; a 401 triggers
 * one silent refresh (shared by concurrent callers, since the refresh token rotates) and one retry; a failed
 * refresh clears the session, which signs the app out.
 */
export class ApiClient {
  private refreshing: Promise<boolean> | undefined;

  constructor(
    readonly session: SessionStore,
    private readonly baseUrl = '',
  ) {}

  private url(path: string): string {
    return `${this.baseUrl}${API_PREFIX}${path}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const tokens = this.session.get();
    return tokens ? { ...extra, authorization: `Bearer ${tokens.accessToken}` } : extra;
  }

  /** Sends with the current access token; on 401 refreshes once and retries. Returns the raw response. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const attempt = () =>
      fetch(this.url(path), {
        method,
        headers: this.headers(options.json === undefined ? {} : { 'content-type': 'application/json' }),
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
        signal: options.signal,
      });
    let response = await attempt();
    if (response.status === 401 && this.session.get()) {
      if (await this.refresh()) response = await attempt();
    }
    return response;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (!response.ok) throw await apiErrorFrom(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** Exchanges the refresh token for a new pair; false (and signed out) when the server refuses it. */
  refresh(): Promise<boolean> {
    this.refreshing ??= (async () => {
      const tokens = this.session.get();
      if (!tokens) return false;
      try {
        const response = await fetch(this.url('/auth/refresh'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: tokens.refreshToken }),
        });
        if (!response.ok) {
          this.session.set(null);
          return false;
        }
        this.session.setFromResponse((await response.json()) as TokenResponse);
        return true;
      } catch {
        // Offline: keep the session, the next call tries again.
        return false;
      }
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  // --- accounts ---

  async login(body: LoginBody): Promise<void> {
    const response = await fetch(this.url('/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw await apiErrorFrom(response);
    this.session.setFromResponse((await response.json()) as TokenResponse);
  }

  async register(body: RegisterBody): Promise<RegisterResponse> {
    const response = await fetch(this.url('/auth/register'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw await apiErrorFrom(response);
    return (await response.json()) as RegisterResponse;
  }

  async logout(): Promise<void> {
    const tokens = this.session.get();
    this.session.set(null);
    if (!tokens) return;
    // Revoke server-side too; signing out locally must not wait for (or fail on) the network.
    await fetch(this.url('/auth/logout'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: tokens.refreshToken }),
    }).catch(() => undefined);
  }

  me(): Promise<MeResponse> {
    return this.request('GET', '/auth/me');
  }

  /** What the server accepts (upload size, text lengths): public, so the sign-up page can read it too. */
  async limits(): Promise<LimitsResponse> {
    const response = await fetch(this.url('/limits'));
    if (!response.ok) throw await apiErrorFrom(response);
    return (await response.json()) as LimitsResponse;
  }

  // --- documents ---

  listDocuments(): Promise<DocumentList> {
    return this.request('GET', '/documents');
  }

  deleteDocument(id: string): Promise<void> {
    return this.request('DELETE', `/documents/${encodeURIComponent(id)}`);
  }

  documentPage(id: string, page: number): Promise<DocumentPage> {
    return this.request('GET', `/documents/${encodeURIComponent(id)}/pages/${page}`);
  }

  passage(documentId: string, chunkId: string): Promise<Passage> {
    return this.request(
      'GET',
      `/documents/${encodeURIComponent(documentId)}/chunks/${encodeURIComponent(chunkId)}`,
    );
  }

  /** Uploads one file with XMLHttpRequest, the only browser API that reports upload progress. */
  async uploadDocument(
    file: File,
    onProgress: (fraction: number) => void,
    signal?: AbortSignal,
  ): Promise<UploadResponse> {
    const attempt = () =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', this.url('/documents'));
        const tokens = this.session.get();
        if (tokens) xhr.setRequestHeader('authorization', `Bearer ${tokens.accessToken}`);
        xhr.upload.addEventListener('progress', (event) => {
          if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
        });
        xhr.addEventListener('load', () => resolve({ status: xhr.status, text: xhr.responseText }));
        xhr.addEventListener('error', () => reject(new ApiError(0, 'network_error', 'Network error')));
        xhr.addEventListener('abort', () => reject(new DOMException('Upload cancelled', 'AbortError')));
        signal?.addEventListener('abort', () => xhr.abort(), { once: true });
        const form = new FormData();
        form.append('file', file, file.name);
        xhr.send(form);
      });
    let result = await attempt();
    if (result.status === 401 && (await this.refresh())) {
      onProgress(0);
      result = await attempt();
    }
    if (result.status < 200 || result.status >= 300) throw apiErrorFromText(result.status, result.text);
    return JSON.parse(result.text) as UploadResponse;
  }

  /** Ingestion progress of one document until it is ready or failed. */
  async *documentEvents(
    id: string,
    signal?: AbortSignal,
  ): AsyncGenerator<{
    event: 'progress' | 'ready' | 'failed';
    document?: DocumentSummary;
    message?: string;
  }> {
    const response = await this.send('GET', `/documents/${encodeURIComponent(id)}/events`, { signal });
    if (!response.ok || !response.body) throw await apiErrorFrom(response);
    for await (const { event, data } of readSse(response.body)) {
      if (event !== 'progress' && event !== 'ready' && event !== 'failed') continue;
      const parsed = JSON.parse(data) as DocumentSummary | { error: string; message: string };
      if ('id' in parsed) yield { event, document: parsed };
      else yield { event, message: parsed.message };
    }
  }

  // --- chat ---

  /**
   * Asks a question and yields the answer's events as they stream. A refusal before the stream opens (budget
   * spent, unknown conversation) throws an ApiError; aborting the signal stops the answer.
   */
  chat(body: ChatBody, signal?: AbortSignal): AsyncGenerator<ChatStreamEvent> {
    return this.streamTurn('/chat', { ...body, stream: true }, signal);
  }

  /**
   * Asks the turn of a message again as a new version of it: the edited question, or without one the same
   * question (regenerate). Streams like {@link chat}.
   */
  askAgain(
    messageId: string,
    editedQuestion?: string,
    signal?: AbortSignal,
  ): AsyncGenerator<ChatStreamEvent> {
    return this.streamTurn(
      `/messages/${encodeURIComponent(messageId)}/versions`,
      editedQuestion === undefined ? { stream: true } : { message: editedQuestion, stream: true },
      signal,
    );
  }

  private async *streamTurn(
    path: string,
    json: unknown,
    signal?: AbortSignal,
  ): AsyncGenerator<ChatStreamEvent> {
    const response = await this.send('POST', path, { json, signal });
    if (!response.ok || !response.body) throw await apiErrorFrom(response);
    for await (const { event, data } of readSse(response.body)) {
      yield { event, data: JSON.parse(data) } as ChatStreamEvent;
    }
  }

  rateAnswer(messageId: string, body: FeedbackBody): Promise<FeedbackResponse> {
    return this.request('POST', `/messages/${encodeURIComponent(messageId)}/feedback`, { json: body });
  }

  clearRating(messageId: string): Promise<void> {
    return this.request('DELETE', `/messages/${encodeURIComponent(messageId)}/feedback`);
  }

  teamFeedback(rating?: 'up' | 'down'): Promise<TeamFeedback> {
    return this.request('GET', `/feedback${rating ? `?rating=${rating}` : ''}`);
  }

  listConversations(): Promise<ConversationList> {
    return this.request('GET', '/conversations');
  }

  getConversation(id: string): Promise<ConversationDetail> {
    return this.request('GET', `/conversations/${encodeURIComponent(id)}`);
  }

  deleteConversation(id: string): Promise<void> {
    return this.request('DELETE', `/conversations/${encodeURIComponent(id)}`);
  }

  renameConversation(id: string, title: string): Promise<ConversationSummary> {
    return this.request('PATCH', `/conversations/${encodeURIComponent(id)}`, { json: { title } });
  }

  searchConversations(q: string, signal?: AbortSignal): Promise<SearchResponse> {
    return this.request('GET', `/conversations/search?${new URLSearchParams({ q })}`, { signal });
  }

  // --- billing ---

  listInvoices(): Promise<{ invoices: Invoice[] }> {
    return this.request('GET', '/billing/invoices');
  }

  usage(from?: string, to?: string): Promise<UsageResponse> {
    const query = new URLSearchParams();
    if (from) query.set('from', from);
    if (to) query.set('to', to);
    const qs = query.toString();
    return this.request('GET', `/billing/usage${qs ? `?${qs}` : ''}`);
  }
}

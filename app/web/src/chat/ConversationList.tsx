import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { MAX_TITLE_CHARS } from '../../../server/schemas/chat.js';
import { useApi } from '../api/api-context.js';
import type { ConversationSummary, Fragment } from '../api/types.js';
import { useI18n } from '../i18n/i18n.js';
import { ConfirmButton } from '../layout/ConfirmButton.js';
import { DualDate } from '../layout/DualDate.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { Icon } from '../layout/Icon.js';
import { Link, navigate } from '../router.js';

/** Waiting this long after the last key before searching keeps one search per word typed, not per letter. */
const SEARCH_DEBOUNCE_MS = 250;

/** Matched text, the matches marked; the pieces are plain text from the server (never HTML). */
export function Highlighted({ fragments }: { fragments: readonly Fragment[] }) {
  return (
    <>
      {fragments.map((f, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: pieces of one fixed text
        f.match ? <mark key={i}>{f.text}</mark> : <span key={i}>{f.text}</span>,
      )}
    </>
  );
}

export function ConversationList({ currentId, onNew }: { currentId?: string; onNew(): void }) {
  const api = useApi();
  const { t, dir } = useI18n();
  const id = useId();
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState('');
  const [query, setQuery] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQuery(typed.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [typed]);
  const list = useQuery({ queryKey: ['conversations'], queryFn: () => api.listConversations() });
  const search = useQuery({
    queryKey: ['conversation-search', query],
    queryFn: ({ signal }) => api.searchConversations(query, signal),
    enabled: query !== '',
    placeholderData: keepPreviousData,
  });
  const remove = useMutation({
    mutationFn: (conversationId: string) => api.deleteConversation(conversationId),
    onSuccess: (_data, conversationId) => {
      if (conversationId === currentId) navigate('/chat', { replace: true });
      queryClient.removeQueries({ queryKey: ['conversation', conversationId] });
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['conversations'] });
      void queryClient.invalidateQueries({ queryKey: ['conversation-search'] });
    },
  });
  const searching = typed.trim() !== '';
  return (
    <nav className="conversations" aria-label={t.conversations}>
      <button type="button" className="primary new-conversation" onClick={onNew}>
        {t.newConversation}
      </button>
      <search className="conversation-search">
        <label htmlFor={`${id}-search`} className="visually-hidden">
          {t.searchConversations}
        </label>
        <Icon name="search" />
        <input
          id={`${id}-search`}
          type="search"
          dir={typed.trim() ? 'auto' : dir}
          placeholder={t.searchPlaceholder}
          value={typed}
          maxLength={200}
          onChange={(event) => setTyped(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape') setTyped('');
          }}
        />
      </search>
      <h2 className="visually-hidden">{t.conversations}</h2>
      {searching ? (
        <SearchResults
          results={query === typed.trim() ? search.data?.results : undefined}
          pending={search.isFetching || query !== typed.trim()}
          error={search.error}
          currentId={currentId}
        />
      ) : (
        <>
          <ErrorMessage error={list.error ?? remove.error ?? undefined} />
          {list.data?.conversations.length === 0 && <p className="empty small">{t.noConversations}</p>}
          <ul>
            {list.data?.conversations.map((c) => (
              <ConversationItem
                key={c.id}
                conversation={c}
                current={c.id === currentId}
                onDelete={() => remove.mutate(c.id)}
              />
            ))}
          </ul>
        </>
      )}
    </nav>
  );
}

function SearchResults({
  results,
  pending,
  error,
  currentId,
}: {
  results?: import('../api/types.js').SearchResult[];
  pending: boolean;
  error: unknown;
  currentId?: string;
}) {
  const { t } = useI18n();
  return (
    <section aria-label={t.searchConversations} aria-busy={pending} data-testid="search-results">
      <ErrorMessage error={error ?? undefined} />
      {pending && !results && <p className="hint small">{t.searching}</p>}
      {results?.length === 0 && <p className="empty small">{t.noSearchResults}</p>}
      <ul>
        {results?.map((r) => (
          <li key={r.conversation_id} className={r.conversation_id === currentId ? 'current' : undefined}>
            <Link
              to={`/chat/${r.conversation_id}${r.message ? `?message=${r.message.id}` : ''}`}
              data-testid="search-result"
            >
              <span className="conversation-title" dir="auto">
                <Highlighted fragments={r.title} />
              </span>
              {r.message && (
                <span className="search-excerpt" dir="auto">
                  <Highlighted fragments={r.message.excerpt} />
                </span>
              )}
              <DualDate iso={r.updated_at} />
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A conversation in the list: open it, rename it in place, or delete it after confirming. */
function ConversationItem({
  conversation,
  current,
  onDelete,
}: {
  conversation: ConversationSummary;
  current: boolean;
  onDelete(): void;
}) {
  const api = useApi();
  const { t } = useI18n();
  const id = useId();
  const queryClient = useQueryClient();
  const [renaming, setRenaming] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const wasRenaming = useRef(false);
  useEffect(() => {
    if (renaming) input.current?.select();
    else if (wasRenaming.current) trigger.current?.focus();
    wasRenaming.current = renaming;
  }, [renaming]);
  const rename = useMutation({
    mutationFn: (title: string) => api.renameConversation(conversation.id, title),
    onSuccess: () => setRenaming(false),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['conversations'] });
      void queryClient.invalidateQueries({ queryKey: ['conversation', conversation.id] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const title = input.current?.value.trim() ?? '';
    if (!title || title === conversation.title) setRenaming(false);
    else rename.mutate(title);
  };

  return (
    <li className={current ? 'current' : undefined}>
      {renaming ? (
        <form className="rename" onSubmit={submit}>
          <label htmlFor={`${id}-title`} className="visually-hidden">
            {t.conversationTitle}
          </label>
          <input
            ref={input}
            id={`${id}-title`}
            dir="auto"
            defaultValue={conversation.title}
            maxLength={MAX_TITLE_CHARS}
            required
            onKeyDown={(event) => {
              if (event.key === 'Escape') setRenaming(false);
            }}
          />
          <button type="submit" className="icon-button" aria-label={t.save} title={t.save}>
            <Icon name="check" />
          </button>
          <ErrorMessage error={rename.error ?? undefined} />
        </form>
      ) : (
        <>
          <Link to={`/chat/${conversation.id}`} aria-current={current ? 'page' : undefined}>
            <span className="conversation-title" dir="auto">
              {conversation.title}
            </span>
            <DualDate iso={conversation.updated_at} />
          </Link>
          <button
            ref={trigger}
            type="button"
            className="icon-button"
            aria-label={t.renameConversation(conversation.title)}
            title={t.rename}
            onClick={() => setRenaming(true)}
          >
            <Icon name="edit" />
          </button>
          <ConfirmButton
            label="×"
            accessibleLabel={t.deleteConversation(conversation.title)}
            question={t.confirmDeleteConversation}
            onConfirm={onDelete}
          />
        </>
      )}
    </li>
  );
}

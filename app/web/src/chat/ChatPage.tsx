import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../api/api-context.js';
import { isApiError } from '../api/errors.js';
import type { Citation, Message } from '../api/types.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { Icon } from '../layout/Icon.js';
import { navigate, useLocation } from '../router.js';
import { CitationPanel, type OpenCitation } from './CitationPanel.js';
import { Composer } from './Composer.js';
import { ConversationList } from './ConversationList.js';
import { CopyButton, FeedbackButtons, QuestionEditor, VersionSwitcher } from './MessageActions.js';
import { MessageBubble } from './MessageBubble.js';
import { groupTurns, type TurnView } from './turns.js';
import { type AskAgain, type PendingTurn, useChatTurn } from './use-chat-turn.js';

export function ChatPage({ conversationId }: { conversationId?: string }) {
  const api = useApi();
  const { t } = useI18n();
  const { search } = useLocation();
  const [citation, setCitation] = useState<OpenCitation>();
  // The version shown per turn, when the reader chose another than the newest.
  const [chosen, setChosen] = useState<Record<string, number>>({});
  const onConversation = useCallback((id: string) => navigate(`/chat/${id}`, { replace: true }), []);
  const { turn, send, stop, clear } = useChatTurn(onConversation);
  const conversation = useQuery({
    queryKey: ['conversation', conversationId],
    queryFn: () => api.getConversation(conversationId!),
    enabled: Boolean(conversationId),
  });
  const messages = conversationId ? (conversation.data?.messages ?? []) : [];
  const turns = groupTurns(messages);
  const pendingVisible =
    turn && (!turn.conversationId || turn.conversationId === conversationId) && !isStored(turn, messages);
  const streaming = turn?.status === 'streaming';

  // Opening another conversation drops a finished turn of the previous one from the screen.
  const shownId = useRef(conversationId);
  useEffect(() => {
    if (shownId.current !== conversationId) {
      if (turn && turn.conversationId !== conversationId) clear();
      setChosen({});
    }
    shownId.current = conversationId;
  }, [conversationId, turn, clear]);

  const bottom = useRef<HTMLDivElement>(null);
  const answerLength = turn?.answer.length ?? 0;
  const found = search.get('message');
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the conversation as it grows
  useEffect(() => {
    // A search result opens its conversation at the message it found (once it is there), else at the end.
    if (found && !turn) {
      const target = document.querySelector(`[data-message-id="${CSS.escape(found)}"]`);
      if (target) {
        target.scrollIntoView?.({ block: 'center' });
        target.classList.add('found');
        return;
      }
    }
    bottom.current?.scrollIntoView?.({ block: 'end' });
  }, [messages.length, answerLength, found]);

  const budgetSpent =
    turn?.status === 'error' && isApiError(turn.error) && turn.error.code === 'budget_exceeded';

  const askAgain = (question: string, again: AskAgain) => {
    setCitation(undefined);
    setChosen(({ [again.turnId]: _dropped, ...rest }) => rest);
    void send(question, conversationId, again);
  };
  const onCite = (c: Citation, answer: string) => setCitation({ citation: c, answer });
  const pendingHere = (id: string) => (pendingVisible && turn?.turnId === id ? turn : undefined);

  return (
    <div className="chat-layout">
      <ConversationList
        currentId={conversationId}
        onNew={() => {
          clear();
          setCitation(undefined);
          navigate('/chat');
        }}
      />
      <main id="main" className="chat-main">
        <h1 className="visually-hidden">{t.chatTitle}</h1>
        <div className="messages" aria-live="polite" aria-relevant="additions text">
          {!conversationId && !turn && <p className="empty">{t.emptyChat}</p>}
          {conversation.isError && <ErrorMessage error={conversation.error} />}
          {turns.map((view) => (
            <Turn
              key={view.id}
              view={view}
              conversationId={conversationId!}
              version={chosen[view.id] ?? view.versions.length}
              onChoose={(version) => setChosen((current) => ({ ...current, [view.id]: version }))}
              pending={pendingHere(view.id)}
              busy={streaming}
              onCite={onCite}
              onAskAgain={askAgain}
            />
          ))}
          {pendingVisible && !turn.turnId && <PendingMessages turn={turn} onCite={onCite} />}
          <div ref={bottom} />
        </div>
        {budgetSpent && (
          <p className="budget" role="alert">
            {t.budgetExceeded}
          </p>
        )}
        <Composer
          streaming={streaming}
          onStop={stop}
          onSend={(text) => {
            setCitation(undefined);
            void send(text, conversationId);
          }}
        />
      </main>
      {citation && <CitationPanel open={citation} onClose={() => setCitation(undefined)} />}
    </div>
  );
}

/**
 * The pending turn is on screen until the stored conversation holds its answer (or its question, if it failed):
 * the stored question is followed by an answer of the same turn and version.
 */
function isStored(turn: PendingTurn, messages: Message[]): boolean {
  if (!turn.userMessageId) return false;
  const index = messages.findIndex((m) => m.id === turn.userMessageId);
  if (index === -1) return false;
  if (turn.status === 'streaming') return false;
  const question = messages[index]!;
  const next = messages[index + 1];
  const answered =
    next?.role === 'assistant' && next.turn_id === question.turn_id && next.version === question.version;
  return answered || (turn.status === 'error' && !turn.answer);
}

/** One turn: the version the reader chose (the newest by default) with its controls, or its new version streaming. */
function Turn({
  view,
  conversationId,
  version,
  onChoose,
  pending,
  busy,
  onCite,
  onAskAgain,
}: {
  view: TurnView;
  conversationId: string;
  version: number;
  onChoose(version: number): void;
  pending?: PendingTurn;
  busy: boolean;
  onCite(c: Citation, answer: string): void;
  onAskAgain(question: string, again: AskAgain): void;
}) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const total = view.versions.length;
  if (pending) {
    return (
      <section className="turn" aria-label={t.version(total + 1, total + 1)}>
        <PendingMessages turn={pending} onCite={onCite} />
        <p className="versions-pending">
          <VersionSwitcher version={total + 1} versions={total + 1} onSelect={() => {}} disabled />
        </p>
      </section>
    );
  }
  const shown = view.versions[Math.min(version, total) - 1] ?? view.versions.at(-1)!;
  const question = shown.find((m) => m.role === 'user');
  const answers = shown.filter((m) => m.role === 'assistant');
  const switcher = (
    <VersionSwitcher
      version={Math.min(version, total)}
      versions={total}
      onSelect={onChoose}
      disabled={busy}
    />
  );
  return (
    <section className="turn">
      {question && (
        <MessageBubble author="user" content={question.content} id={question.id}>
          {editing ? (
            <QuestionEditor
              initial={question.content}
              onCancel={() => setEditing(false)}
              onSend={(text) => {
                setEditing(false);
                onAskAgain(text, { messageId: question.id, turnId: view.id, edited: true });
              }}
            />
          ) : (
            <fieldset className="message-actions" aria-label={t.answerActions}>
              <button
                type="button"
                className="icon-button"
                aria-label={t.editQuestion}
                title={t.editQuestion}
                disabled={busy}
                onClick={() => setEditing(true)}
              >
                <Icon name="edit" />
                <span className="icon-button-text">{t.edit}</span>
              </button>
              {answers.length === 0 && (
                <>
                  <RegenerateButton
                    disabled={busy}
                    onClick={() => onAskAgain(question.content, { messageId: question.id, turnId: view.id })}
                  />
                  {switcher}
                </>
              )}
            </fieldset>
          )}
        </MessageBubble>
      )}
      {answers.map((answer) => (
        <StoredAnswer key={answer.id} message={answer} onCite={onCite}>
          <fieldset className="message-actions" aria-label={t.answerActions}>
            <CopyButton message={answer} />
            <RegenerateButton
              disabled={busy}
              onClick={() => onAskAgain(question?.content ?? '', { messageId: answer.id, turnId: view.id })}
            />
            <FeedbackButtons key={answer.id} message={answer} conversationId={conversationId} />
            {switcher}
          </fieldset>
        </StoredAnswer>
      ))}
    </section>
  );
}

function RegenerateButton({ onClick, disabled }: { onClick(): void; disabled: boolean }) {
  const { t } = useI18n();
  return (
    <button
      type="button"
      className="icon-button"
      aria-label={t.regenerateAnswer}
      title={t.regenerateAnswer}
      disabled={disabled}
      onClick={onClick}
    >
      <Icon name="regenerate" />
      <span className="icon-button-text">{t.regenerate}</span>
    </button>
  );
}

function StoredAnswer({
  message,
  onCite,
  children,
}: {
  message: Message;
  onCite(c: Citation, answer: string): void;
  children: React.ReactNode;
}) {
  const { t } = useI18n();
  return (
    <MessageBubble
      author="assistant"
      content={message.content}
      citations={message.citations}
      onCite={onCite}
      id={message.id}
    >
      {message.fallback && message.model && (
        <p className="notice small">{t.fallbackAnswered(message.model)}</p>
      )}
      {message.incomplete && <p className="notice small">{t.incomplete}</p>}
      {message.interrupted && <p className="notice small">{t.answerInterrupted}</p>}
      {message.error && <p className="error small">{message.error}</p>}
      {children}
    </MessageBubble>
  );
}

function PendingMessages({ turn, onCite }: { turn: PendingTurn; onCite(c: Citation, answer: string): void }) {
  const { t } = useI18n();
  const budget = isApiError(turn.error) && turn.error.code === 'budget_exceeded';
  return (
    <>
      <MessageBubble author="user" content={turn.question} />
      {(turn.answer || turn.status === 'streaming') && (
        <MessageBubble
          author="assistant"
          content={turn.answer}
          citations={turn.sources}
          onCite={onCite}
          streaming={turn.status === 'streaming'}
        >
          {turn.status === 'streaming' && !turn.answer && <p className="hint">{t.thinking}</p>}
          {turn.fallback && (
            <p className="notice small" role="status">
              {t.fallbackNotice(turn.fallback.from, turn.fallback.to)}
            </p>
          )}
          {turn.status === 'stopped' && <p className="notice small">{t.stopped}</p>}
        </MessageBubble>
      )}
      {turn.status === 'stopped' && !turn.answer && <p className="notice small">{t.stopped}</p>}
      {turn.status === 'error' && !budget && (
        <div className="error" role="alert">
          {t.chatFailed} <ErrorMessage error={turn.error} />
        </div>
      )}
    </>
  );
}

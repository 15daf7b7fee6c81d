import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../api/api-context.js';
import { isApiError } from '../api/errors.js';
import type { Citation, Message } from '../api/types.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { navigate } from '../router.js';
import { CitationPanel } from './CitationPanel.js';
import { Composer } from './Composer.js';
import { ConversationList } from './ConversationList.js';
import { MessageBubble } from './MessageBubble.js';
import { type PendingTurn, useChatTurn } from './use-chat-turn.js';

export function ChatPage({ conversationId }: { conversationId?: string }) {
  const api = useApi();
  const { t } = useI18n();
  const [citation, setCitation] = useState<Citation>();
  const onConversation = useCallback((id: string) => navigate(`/chat/${id}`, { replace: true }), []);
  const { turn, send, stop, clear } = useChatTurn(onConversation);
  const conversation = useQuery({
    queryKey: ['conversation', conversationId],
    queryFn: () => api.getConversation(conversationId!),
    enabled: Boolean(conversationId),
  });
  const messages = conversationId ? (conversation.data?.messages ?? []) : [];
  const pendingVisible =
    turn && (!turn.conversationId || turn.conversationId === conversationId) && !isStored(turn, messages);

  // Opening another conversation drops a finished turn of the previous one from the screen.
  const shownId = useRef(conversationId);
  useEffect(() => {
    if (shownId.current !== conversationId && turn && turn.conversationId !== conversationId) clear();
    shownId.current = conversationId;
  }, [conversationId, turn, clear]);

  const bottom = useRef<HTMLDivElement>(null);
  const answerLength = turn?.answer.length ?? 0;
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the conversation as it grows
  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: 'end' });
  }, [messages.length, answerLength]);

  const budgetSpent =
    turn?.status === 'error' && isApiError(turn.error) && turn.error.code === 'budget_exceeded';

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
          {messages.map((message) => (
            <StoredMessage key={message.id} message={message} onCite={setCitation} />
          ))}
          {pendingVisible && <PendingMessages turn={turn} onCite={setCitation} />}
          <div ref={bottom} />
        </div>
        {budgetSpent && (
          <p className="budget" role="alert">
            {t.budgetExceeded}
          </p>
        )}
        <Composer
          streaming={turn?.status === 'streaming'}
          onStop={stop}
          onSend={(text) => {
            setCitation(undefined);
            void send(text, conversationId);
          }}
        />
      </main>
      {citation && <CitationPanel citation={citation} onClose={() => setCitation(undefined)} />}
    </div>
  );
}

/** The pending turn is on screen until the stored conversation holds its answer (or its question, if it failed). */
function isStored(turn: PendingTurn, messages: Message[]): boolean {
  if (!turn.userMessageId) return false;
  const index = messages.findIndex((m) => m.id === turn.userMessageId);
  if (index === -1) return false;
  if (turn.status === 'streaming') return false;
  return index < messages.length - 1 || (turn.status === 'error' && !turn.answer);
}

function StoredMessage({ message, onCite }: { message: Message; onCite(c: Citation): void }) {
  const { t } = useI18n();
  return (
    <MessageBubble
      author={message.role}
      content={message.content}
      citations={message.citations}
      onCite={onCite}
    >
      {message.role === 'assistant' && message.fallback && message.model && (
        <p className="notice small">{t.fallbackAnswered(message.model)}</p>
      )}
      {message.incomplete && <p className="notice small">{t.incomplete}</p>}
      {message.interrupted && <p className="notice small">{t.answerInterrupted}</p>}
      {message.error && <p className="error small">{message.error}</p>}
    </MessageBubble>
  );
}

function PendingMessages({ turn, onCite }: { turn: PendingTurn; onCite(c: Citation): void }) {
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

import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../api/api-context.js';
import type { Citation } from '../api/types.js';

export interface PendingTurn {
  question: string;
  answer: string;
  sources: Citation[];
  conversationId?: string;
  userMessageId?: string;
  fallback?: { from: string; to: string };
  model?: string | null;
  status: 'streaming' | 'done' | 'stopped' | 'error';
  error?: unknown;
  /** Set when a turn is asked again (regenerated or edited): the turn it becomes a new version of. */
  turnId?: string;
}

/** Asking a turn again: the message whose turn it is, and the edited question (none: regenerate). */
export interface AskAgain {
  messageId: string;
  turnId: string;
  edited?: boolean;
}

/** After a stop the server stores the partial answer on its own schedule; look again shortly. */
const REFETCH_AFTER_STOP_MS = [400, 1500];

/**
 * One question being answered: streams `sources`, `token`s, `fallback`, then `done` or `error` into a pending
 * turn shown below the stored conversation until the stored copy arrives.
 */
export function useChatTurn(onConversation: (id: string) => void) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [turn, setTurn] = useState<PendingTurn>();
  const controller = useRef<AbortController>(undefined);

  useEffect(() => () => controller.current?.abort(), []);

  const refresh = useCallback(
    (conversationId?: string) => {
      void queryClient.invalidateQueries({ queryKey: ['conversations'] });
      if (conversationId) void queryClient.invalidateQueries({ queryKey: ['conversation', conversationId] });
      void queryClient.invalidateQueries({ queryKey: ['usage'] });
    },
    [queryClient],
  );

  const send = useCallback(
    async (question: string, conversationId?: string, again?: AskAgain) => {
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      let current: PendingTurn = {
        question,
        answer: '',
        sources: [],
        conversationId,
        status: 'streaming',
        turnId: again?.turnId,
      };
      const patch = (next: Partial<PendingTurn>) => {
        current = { ...current, ...next };
        // A turn replaced by a newer one, or cleared, no longer owns the screen.
        if (controller.current === abort) setTurn(current);
      };
      setTurn(current);
      try {
        const events = again
          ? api.askAgain(again.messageId, again.edited ? question : undefined, abort.signal)
          : api.chat(
              { message: question, ...(conversationId ? { conversation_id: conversationId } : {}) },
              abort.signal,
            );
        for await (const { event, data } of events) {
          if (event === 'sources') {
            patch({
              sources: data.sources,
              conversationId: data.conversation_id,
              userMessageId: data.user_message_id,
            });
            if (data.conversation_id !== conversationId) onConversation(data.conversation_id);
          } else if (event === 'token') patch({ answer: current.answer + data.text });
          else if (event === 'fallback') patch({ fallback: { from: data.from, to: data.to } });
          else if (event === 'done') patch({ status: 'done', model: data.model });
          else if (event === 'error') patch({ status: 'error', error: new Error(data.message) });
        }
        if (current.status === 'streaming') patch({ status: 'done' });
      } catch (error) {
        if (abort.signal.aborted) {
          patch({ status: 'stopped' });
          for (const delay of REFETCH_AFTER_STOP_MS) setTimeout(() => refresh(current.conversationId), delay);
          return;
        }
        patch({ status: 'error', error });
      } finally {
        if (controller.current === abort) controller.current = undefined;
      }
      refresh(current.conversationId);
    },
    [api, onConversation, refresh],
  );

  const stop = useCallback(() => controller.current?.abort(), []);
  const clear = useCallback(() => {
    const active = controller.current;
    controller.current = undefined;
    active?.abort();
    setTurn(undefined);
  }, []);

  return { turn, send, stop, clear };
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/api-context.js';
import { useI18n } from '../i18n/i18n.js';
import { ConfirmButton } from '../layout/ConfirmButton.js';
import { DualDate } from '../layout/DualDate.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { Link, navigate } from '../router.js';

export function ConversationList({ currentId, onNew }: { currentId?: string; onNew(): void }) {
  const api = useApi();
  const { t } = useI18n();
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: ['conversations'], queryFn: () => api.listConversations() });
  const remove = useMutation({
    mutationFn: (id: string) => api.deleteConversation(id),
    onSuccess: (_data, id) => {
      if (id === currentId) navigate('/chat', { replace: true });
      queryClient.removeQueries({ queryKey: ['conversation', id] });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['conversations'] }),
  });
  return (
    <nav className="conversations" aria-label={t.conversations}>
      <button type="button" className="primary new-conversation" onClick={onNew}>
        {t.newConversation}
      </button>
      <h2 className="visually-hidden">{t.conversations}</h2>
      <ErrorMessage error={list.error ?? remove.error ?? undefined} />
      {list.data?.conversations.length === 0 && <p className="empty small">{t.noConversations}</p>}
      <ul>
        {list.data?.conversations.map((c) => (
          <li key={c.id} className={c.id === currentId ? 'current' : undefined}>
            <Link to={`/chat/${c.id}`} aria-current={c.id === currentId ? 'page' : undefined} dir="auto">
              <span className="conversation-title">{c.title}</span>
              <DualDate iso={c.updated_at} />
            </Link>
            <ConfirmButton
              label="×"
              accessibleLabel={t.deleteConversation(c.title)}
              question={t.confirmDeleteConversation}
              onConfirm={() => remove.mutate(c.id)}
            />
          </li>
        ))}
      </ul>
    </nav>
  );
}

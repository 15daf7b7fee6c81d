import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useApi } from '../api/api-context.js';
import { isApiError } from '../api/errors.js';
import { useI18n } from '../i18n/i18n.js';
import { DualDate } from '../layout/DualDate.js';
import { ErrorMessage } from '../layout/ErrorMessage.js';
import { Icon } from '../layout/Icon.js';
import { SafeMarkdown } from '../markdown/SafeMarkdown.js';
import { Link } from '../router.js';

type Filter = 'all' | 'up' | 'down';

/** The team's ratings of answers with their comments, for its owner and admins. */
export function FeedbackPage() {
  const api = useApi();
  const { t } = useI18n();
  const [filter, setFilter] = useState<Filter>('all');
  const feedback = useQuery({
    queryKey: ['team-feedback', filter],
    queryFn: () => api.teamFeedback(filter === 'all' ? undefined : filter),
  });
  const forbidden = isApiError(feedback.error) && feedback.error.status === 403;
  const filters: Array<[Filter, string]> = [
    ['all', t.filterAll],
    ['up', t.filterUp],
    ['down', t.filterDown],
  ];
  return (
    <main id="main" className="page feedback-page">
      <h1>{t.feedbackTitle}</h1>
      {forbidden ? (
        <p className="notice">{t.feedbackForbidden}</p>
      ) : (
        <>
          <ErrorMessage error={feedback.error ?? undefined} />
          {feedback.data && (
            <p data-testid="feedback-totals">
              {t.feedbackTotals(feedback.data.totals.up, feedback.data.totals.down)}
            </p>
          )}
          <fieldset className="segmented" aria-label={t.filterLabel}>
            {filters.map(([value, label]) => (
              <button
                key={value}
                type="button"
                aria-pressed={filter === value}
                onClick={() => setFilter(value)}
              >
                {label}
              </button>
            ))}
          </fieldset>
          {feedback.data?.feedback.length === 0 && <p className="empty">{t.noFeedback}</p>}
          <ul className="feedback-list">
            {feedback.data?.feedback.map((item) => (
              <li key={`${item.message_id}-${item.user.email}`} className="card" data-testid="feedback-item">
                <p className={`rating rating-${item.rating}`}>
                  <Icon name={item.rating === 'up' ? 'thumbUp' : 'thumbDown'} />
                  {item.rating === 'up' ? t.helpful : t.notHelpful}{' '}
                  <span className="secondary" dir="auto">
                    {t.ratedBy(item.user.full_name)}
                  </span>{' '}
                  <DualDate iso={item.updated_at} />
                </p>
                {item.comment && (
                  <blockquote className="feedback-comment" dir="auto">
                    {item.comment}
                  </blockquote>
                )}
                {item.question && (
                  <p>
                    <strong>{t.questionLabel}:</strong> <span dir="auto">{item.question}</span>
                  </p>
                )}
                <div className="feedback-answer">
                  <strong>{t.answerLabel}:</strong>
                  <SafeMarkdown text={item.answer} />
                </div>
                <Link to={`/chat/${item.conversation_id}?message=${item.message_id}`}>
                  {t.openConversation}
                </Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </main>
  );
}

import type { Queryable } from '../../db/index.js';
import type { Feedback, TeamFeedback } from '../schemas/chat.js';

/** Characters of the question and the answer an admin sees per rating. */
const EXCERPT_CHARS = 400;

export type SetFeedbackResult =
  | { status: 'not_found' }
  | { status: 'not_an_answer' }
  | { status: 'stored'; feedback: Feedback; previous: Feedback['rating'] | null };

/** One rating per user and answer: a second one replaces the first. Only answers (not questions) are rated. */
export async function setFeedback(
  db: Queryable,
  m: {
    tenantId: string;
    messageId: string;
    userId: string;
    rating: Feedback['rating'];
    comment: string | null;
  },
): Promise<SetFeedbackResult> {
  const { rows } = await db.query<{
    role: string;
    rating: Feedback['rating'] | null;
    comment: string | null;
    previous: Feedback['rating'] | null;
  }>(
    `WITH target AS (SELECT id, role FROM messages WHERE tenant_id = $1 AND id = $2),
     previous AS (SELECT rating FROM message_feedback WHERE message_id = $2 AND user_id = $3),
     stored AS (
       INSERT INTO message_feedback (tenant_id, message_id, user_id, rating, comment)
       SELECT $1, id, $3, $4, $5 FROM target WHERE role = 'assistant'
       ON CONFLICT (message_id, user_id)
         DO UPDATE SET rating = excluded.rating, comment = excluded.comment, updated_at = now()
       RETURNING rating, comment
     )
     SELECT t.role, s.rating, s.comment, (SELECT rating FROM previous) AS previous
       FROM target t LEFT JOIN stored s ON true`,
    [m.tenantId, m.messageId, m.userId, m.rating, m.comment],
  );
  const row = rows[0];
  if (!row) return { status: 'not_found' };
  if (row.role !== 'assistant' || !row.rating) return { status: 'not_an_answer' };
  return { status: 'stored', feedback: { rating: row.rating, comment: row.comment }, previous: row.previous };
}

/** Removes the user's rating of an answer; false when there was none. */
export async function clearFeedback(
  db: Queryable,
  m: { tenantId: string; messageId: string; userId: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    'DELETE FROM message_feedback WHERE tenant_id = $1 AND message_id = $2 AND user_id = $3',
    [m.tenantId, m.messageId, m.userId],
  );
  return Boolean(rowCount);
}

/** The team's ratings, newest first, each with the answer, the question it answered and who rated it. */
export async function listTeamFeedback(
  db: Queryable,
  tenantId: string,
  options: { rating?: Feedback['rating']; limit: number },
): Promise<TeamFeedback> {
  const totals = await db.query<{ up: number; down: number }>(
    `SELECT count(*) FILTER (WHERE rating = 'up')::int AS up, count(*) FILTER (WHERE rating = 'down')::int AS down
       FROM message_feedback WHERE tenant_id = $1`,
    [tenantId],
  );
  const { rows } = await db.query<{
    message_id: string;
    conversation_id: string;
    conversation_title: string;
    question: string | null;
    answer: string;
    rating: Feedback['rating'];
    comment: string | null;
    full_name: string;
    email: string;
    updated_at: Date;
  }>(
    `SELECT f.message_id, m.conversation_id, c.title AS conversation_title, left(q.content, $4) AS question,
            left(m.content, $4) AS answer, f.rating, f.comment, u.full_name, u.email, f.updated_at
       FROM message_feedback f
       JOIN messages m ON m.id = f.message_id
       JOIN conversations c ON c.id = m.conversation_id
       JOIN users u ON u.id = f.user_id
       LEFT JOIN LATERAL (
         SELECT content FROM messages p
          WHERE p.conversation_id = m.conversation_id AND p.role = 'user'
            AND (p.created_at, p.id) < (m.created_at, m.id)
          ORDER BY p.created_at DESC, p.id DESC LIMIT 1
       ) q ON true
      WHERE f.tenant_id = $1 AND ($2::text IS NULL OR f.rating = $2)
      ORDER BY f.updated_at DESC, f.id
      LIMIT $3`,
    [tenantId, options.rating ?? null, options.limit, EXCERPT_CHARS],
  );
  return {
    totals: totals.rows[0] ?? { up: 0, down: 0 },
    feedback: rows.map(({ full_name, email, updated_at, ...r }) => ({
      ...r,
      user: { full_name, email },
      updated_at: updated_at.toISOString(),
    })),
  };
}

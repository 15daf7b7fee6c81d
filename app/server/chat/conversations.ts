import type { Queryable } from '../../db/index.js';

export interface Citation {
  n: number;
  document_id: string;
  document_name: string;
  chunk_id: string;
  page: number | null;
  page_end: number | null;
  heading_path: string[];
  snippet: string;
}

export interface Feedback {
  rating: 'up' | 'down';
  comment: string | null;
}

export interface StoredMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  citations: Citation[];
  model: string | null;
  fallback: boolean;
  incomplete: boolean;
  error: string | null;
  /** A question whose answer was cut by a crash: it has no answer, and no turn is working on it any more. */
  interrupted: boolean;
  created_at: string;
  /** On a question asked again (regenerated or edited): the first question of its turn. */
  version_of: string | null;
  /** The reader's own rating of this answer. */
  feedback: Feedback | null;
}

/**
 * How long a question's answer counts as in progress without a heartbeat (renewed every third of it while the
 * answer streams); after that, a question still without its answer was cut by a crash.
 */
export const ANSWER_PENDING_SECONDS = 30;

/** A new conversation and its first (user) message, in one statement. */
export async function startConversation(
  db: Queryable,
  m: { tenantId: string; userId: string; title: string; content: string },
): Promise<{ conversationId: string; messageId: string }> {
  const { rows } = await db.query<{ conversation_id: string; id: string }>(
    `WITH conversation AS (
       INSERT INTO conversations (tenant_id, user_id, title) VALUES ($1, $2, $3) RETURNING id
     )
     INSERT INTO messages (tenant_id, conversation_id, role, content, answer_pending_until)
     SELECT $1, id, 'user', $4, now() + make_interval(secs => ${ANSWER_PENDING_SECONDS}) FROM conversation
     RETURNING conversation_id, id`,
    [m.tenantId, m.userId, m.title, m.content],
  );
  return { conversationId: rows[0]!.conversation_id, messageId: rows[0]!.id };
}

export async function conversationExists(db: Queryable, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    id,
  ]);
  return Boolean(rowCount);
}

export async function listConversations(db: Queryable, tenantId: string) {
  const { rows } = await db.query<{
    id: string;
    title: string;
    created_at: Date;
    updated_at: Date;
    messages: number;
  }>(
    `SELECT c.id, c.title, c.created_at, c.updated_at,
            (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS messages
       FROM conversations c WHERE c.tenant_id = $1 ORDER BY c.updated_at DESC, c.id LIMIT 200`,
    [tenantId],
  );
  return rows.map((r) => ({
    ...r,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  }));
}

/** A conversation's messages in the order they were written, with `viewerId`'s own ratings. */
export async function getMessages(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  viewerId: string | null = null,
): Promise<StoredMessage[]> {
  const { rows } = await db.query<
    Omit<StoredMessage, 'created_at' | 'feedback'> & {
      created_at: Date;
      rating: Feedback['rating'] | null;
      comment: string | null;
    }
  >(
    `SELECT m.id, m.role, m.content, m.citations, m.model, m.fallback, m.incomplete, m.error, m.created_at,
            m.version_of, f.rating, f.comment, coalesce(m.answer_pending_until < now(), false) AS interrupted
       FROM messages m
       LEFT JOIN message_feedback f ON f.message_id = m.id AND f.user_id = $3
      WHERE m.tenant_id = $1 AND m.conversation_id = $2 ORDER BY m.created_at, m.id`,
    [tenantId, conversationId, viewerId],
  );
  return rows.map(({ rating, comment, ...r }) => ({
    ...r,
    created_at: r.created_at.toISOString(),
    feedback: rating ? { rating, comment } : null,
  }));
}

export async function getConversation(db: Queryable, tenantId: string, id: string, viewerId: string) {
  const { rows } = await db.query<{ id: string; title: string; created_at: Date; updated_at: Date }>(
    'SELECT id, title, created_at, updated_at FROM conversations WHERE tenant_id = $1 AND id = $2',
    [tenantId, id],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    ...row,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    messages: arrangeVersions(await getMessages(db, tenantId, id, viewerId)),
  };
}

export interface ArrangedMessage extends StoredMessage {
  /** The first question of the turn this message belongs to (the turn's id). */
  turn_id: string;
  /** 1-based version of its turn, and how many versions the turn has. */
  version: number;
  versions: number;
  /** Part of the newest version of its turn: what the conversation shows and the prompt's history uses. */
  current: boolean;
}

/**
 * Messages grouped into turns (a question and what answered it) and the turns' versions: a turn asked again
 * (regenerated or edited) is appended as a new turn whose question names the first one in `version_of`, and is
 * placed here with the first, numbered in the order asked. Turns keep the order of their first version.
 */
export function arrangeVersions(messages: readonly StoredMessage[]): ArrangedMessage[] {
  interface Turn {
    id: string;
    messages: StoredMessage[];
  }
  const versionsOf = new Map<string, Turn[]>();
  const order: string[] = [];
  let turn: Turn | undefined;
  for (const message of messages) {
    if (message.role === 'user' || !turn) {
      const root = (message.role === 'user' && message.version_of) || message.id;
      turn = { id: root, messages: [] };
      let versions = versionsOf.get(root);
      if (!versions) {
        versions = [];
        versionsOf.set(root, versions);
        order.push(root);
      }
      versions.push(turn);
    }
    turn.messages.push(message);
  }
  return order.flatMap((root) => {
    const versions = versionsOf.get(root)!;
    return versions.flatMap((v, i) =>
      v.messages.map((m) => ({
        ...m,
        turn_id: root,
        version: i + 1,
        versions: versions.length,
        current: i === versions.length - 1,
      })),
    );
  });
}

/**
 * What the prompt may repeat of a conversation: the newest version of each turn, without failed answers, and
 * when a turn is being asked again (`beforeTurn`), only the turns before it.
 */
export async function conversationHistory(
  db: Queryable,
  tenantId: string,
  conversationId: string,
  beforeTurn?: string,
): Promise<Array<{ role: 'user' | 'assistant'; content: string }>> {
  const arranged = arrangeVersions(await getMessages(db, tenantId, conversationId));
  const stop = beforeTurn ? arranged.findIndex((m) => m.turn_id === beforeTurn) : -1;
  return (stop >= 0 ? arranged.slice(0, stop) : arranged)
    .filter((m) => m.current && !m.error)
    .map((m) => ({ role: m.role, content: m.content }));
}

/** The question a message belongs to (itself, or the question its answer follows), with its turn's id. */
export async function findTurnQuestion(
  db: Queryable,
  tenantId: string,
  messageId: string,
): Promise<{ conversationId: string; questionId: string; turnId: string; content: string } | undefined> {
  const { rows } = await db.query<{
    conversation_id: string;
    id: string;
    version_of: string | null;
    content: string;
  }>(
    `SELECT q.conversation_id, q.id, q.version_of, q.content
       FROM messages m
       JOIN LATERAL (
         SELECT u.conversation_id, u.id, u.version_of, u.content FROM messages u
          WHERE u.tenant_id = m.tenant_id AND u.conversation_id = m.conversation_id AND u.role = 'user'
            AND (u.created_at, u.id) <= (m.created_at, m.id)
          ORDER BY u.created_at DESC, u.id DESC LIMIT 1
       ) q ON true
      WHERE m.tenant_id = $1 AND m.id = $2`,
    [tenantId, messageId],
  );
  const row = rows[0];
  return (
    row && {
      conversationId: row.conversation_id,
      questionId: row.id,
      turnId: row.version_of ?? row.id,
      content: row.content,
    }
  );
}

/** Renames a conversation; undefined when it is not the tenant's. */
export async function renameConversation(db: Queryable, tenantId: string, id: string, title: string) {
  const { rows } = await db.query<{
    id: string;
    title: string;
    created_at: Date;
    updated_at: Date;
    messages: number;
  }>(
    `UPDATE conversations c SET title = $3 WHERE c.tenant_id = $1 AND c.id = $2
     RETURNING c.id, c.title, c.created_at, c.updated_at,
               (SELECT count(*)::int FROM messages m WHERE m.conversation_id = c.id) AS messages`,
    [tenantId, id, title],
  );
  const row = rows[0];
  return (
    row && { ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() }
  );
}

export async function deleteConversation(db: Queryable, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM conversations WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    id,
  ]);
  return Boolean(rowCount);
}

export async function insertMessage(
  db: Queryable,
  m: {
    tenantId: string;
    conversationId: string;
    role: 'user' | 'assistant';
    content: string;
    citations?: Citation[];
    model?: string | null;
    fallback?: boolean;
    incomplete?: boolean;
    error?: string | null;
    /** A question asked again: the first question of its turn. */
    versionOf?: string;
  },
): Promise<string> {
  // One statement (one round trip) for the message and its conversation's `updated_at`.
  const { rows } = await db.query<{ id: string }>(
    `WITH touched AS (UPDATE conversations SET updated_at = now() WHERE id = $2),
     answered AS (
       UPDATE messages SET answer_pending_until = NULL
        WHERE $3 = 'assistant' AND conversation_id = $2 AND answer_pending_until >= now()
     )
     INSERT INTO messages (tenant_id, conversation_id, role, content, citations, model, fallback, incomplete, error,
                           version_of, answer_pending_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
             CASE WHEN $3 = 'user' THEN now() + make_interval(secs => ${ANSWER_PENDING_SECONDS}) END)
     RETURNING id`,
    [
      m.tenantId,
      m.conversationId,
      m.role,
      m.content,
      JSON.stringify(m.citations ?? []),
      m.model ?? null,
      m.fallback ?? false,
      m.incomplete ?? false,
      m.error ?? null,
      m.versionOf ?? null,
    ],
  );
  return rows[0]!.id;
}

/**
 * Only a question still in progress is touched (an interrupted one keeps its mark).
 * The turn's heartbeat while its answer streams: the question stays "in progress" for another
 * ANSWER_PENDING_SECONDS. A turn that ends without an answer row (every model failed) clears it with `done`.
 */
export async function renewPendingAnswer(db: Queryable, conversationId: string, done = false): Promise<void> {
  await db.query(
    `UPDATE messages SET answer_pending_until = CASE WHEN $2 THEN NULL
                                                     ELSE now() + make_interval(secs => ${ANSWER_PENDING_SECONDS}) END
      WHERE conversation_id = $1 AND answer_pending_until >= now()`,
    [conversationId, done],
  );
}

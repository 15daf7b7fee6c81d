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

export async function getMessages(
  db: Queryable,
  tenantId: string,
  conversationId: string,
): Promise<StoredMessage[]> {
  const { rows } = await db.query<Omit<StoredMessage, 'created_at'> & { created_at: Date }>(
    `SELECT id, role, content, citations, model, fallback, incomplete, error,
            coalesce(answer_pending_until < now(), false) AS interrupted, created_at
       FROM messages WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at, id`,
    [tenantId, conversationId],
  );
  return rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
}

export async function getConversation(db: Queryable, tenantId: string, id: string) {
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
    messages: await getMessages(db, tenantId, id),
  };
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
                           answer_pending_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
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

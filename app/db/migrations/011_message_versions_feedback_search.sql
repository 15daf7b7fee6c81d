-- Answer controls and conversation search (issue 21).

-- Versions of a turn: regenerating an answer or editing a question asks again as a new turn whose question row
-- names the first question of that turn here. The conversation shows the newest version of each turn at the
-- place of the first, with the older ones a click away; the prompt's history uses only the newest versions.
ALTER TABLE messages ADD COLUMN version_of uuid REFERENCES messages (id) ON DELETE CASCADE;
CREATE INDEX messages_version_of_idx ON messages (version_of) WHERE version_of IS NOT NULL;

-- Full-text search over the team's own conversations, normalised as chunks are (002_rag.sql: 'simple', so
-- Persian matches as written, ZWNJ and Arabic letter forms folded).
ALTER TABLE messages
  ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_normalize(content))) STORED;
CREATE INDEX messages_tsv_idx ON messages USING gin (tsv);

-- The newest messages of the current tenant that match a query, through the GIN index.
--
-- Why a function: as for tenant_text_matches (004_tenant_text_search.sql), row-level security evaluates its
-- policy before `tsvector @@ tsquery`, which is not leakproof, so for the application role the index could not
-- serve the match and every message of every team would be read. Isolation is exactly the policy's: the body
-- filters `tenant_id = app_current_tenant()` itself (nothing outside a tenant transaction, where it is NULL),
-- takes only a tsquery and a row limit, returns only ids, and pins its search_path.
CREATE FUNCTION tenant_message_matches(query tsquery, max_rows int)
  RETURNS TABLE (id uuid, conversation_id uuid)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT m.id, m.conversation_id FROM public.messages m
   WHERE m.tenant_id = public.app_current_tenant() AND m.tsv @@ query
   ORDER BY m.created_at DESC, m.id
   LIMIT max_rows
$$;
REVOKE ALL ON FUNCTION tenant_message_matches(tsquery, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant_message_matches(tsquery, int) TO docuchat_app;

-- Thumbs up or down on an answer, one per user and answer, with an optional comment. Team admins read them.
CREATE TABLE message_feedback (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  rating text NOT NULL CHECK (rating IN ('up', 'down')),
  comment text CHECK (comment IS NULL OR char_length(comment) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (message_id, user_id)
);
CREATE INDEX message_feedback_tenant_updated_idx ON message_feedback (tenant_id, updated_at DESC);

ALTER TABLE message_feedback ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_feedback FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_feedback
  USING (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant())
  WITH CHECK (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON message_feedback TO docuchat_app;

-- Documents, chunks with vectors and full text, ingestion jobs, conversations, messages and the usage ledger.
-- {{EMBEDDING_DIMENSIONS}} is the deployment's fixed vector dimension (EMBEDDING_DIMENSIONS at first start).

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE settings (
  key text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO settings (key, value) VALUES ('embedding_dimensions', '{{EMBEDDING_DIMENSIONS}}');

-- Text as full-text search compares it: ZWNJ removed (PDF extraction often drops it, so "می‌شود" and "میشود" must
-- match), Arabic yeh/kaf mapped to the Persian letters, Persian and Arabic digits to ASCII. The stored text keeps
-- every character; only the index and the queries (see app/server/rag/retrieval.ts) are normalised.
CREATE FUNCTION search_normalize(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN translate(t, 'يك۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩' || U&'\200C', 'یک01234567890123456789');

CREATE TABLE documents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  uploaded_by uuid REFERENCES users (id) ON DELETE SET NULL,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('pdf', 'docx', 'markdown', 'html', 'text', 'csv')),
  mime_type text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256 text NOT NULL,
  status text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'ready', 'failed')),
  error text,
  pages_total int NOT NULL DEFAULT 0,
  pages_done int NOT NULL DEFAULT 0,
  chunks_total int NOT NULL DEFAULT 0,
  chunks_done int NOT NULL DEFAULT 0,
  tokens int NOT NULL DEFAULT 0,
  embedding_model text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, sha256)
);
CREATE INDEX documents_tenant_created_idx ON documents (tenant_id, created_at DESC);

CREATE TABLE chunks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  ordinal int NOT NULL,
  content text NOT NULL,
  tokens int NOT NULL,
  page_start int,
  page_end int,
  heading_path text[] NOT NULL DEFAULT '{}',
  embedding vector({{EMBEDDING_DIMENSIONS}}) NOT NULL,
  -- 'simple' keeps Persian words intact (no English stemming).
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', search_normalize(content))) STORED,
  UNIQUE (document_id, ordinal)
);
CREATE INDEX chunks_tenant_idx ON chunks (tenant_id);
CREATE INDEX chunks_embedding_idx ON chunks USING hnsw (embedding vector_cosine_ops);
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);

-- Durable background ingestion: the uploaded bytes wait here until a worker of any replica claims them
-- (FOR UPDATE SKIP LOCKED); a crashed worker's job is picked up again after its lease expires.
CREATE TABLE ingestion_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  document_id uuid NOT NULL UNIQUE REFERENCES documents (id) ON DELETE CASCADE,
  content bytea NOT NULL,
  attempts int NOT NULL DEFAULT 0,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  title text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_tenant_updated_idx ON conversations (tenant_id, updated_at DESC);

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  content text NOT NULL,
  citations jsonb NOT NULL DEFAULT '[]',
  model text,
  fallback boolean NOT NULL DEFAULT false,
  incomplete boolean NOT NULL DEFAULT false,
  error text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, created_at);

-- One row per language-model call, written in the same transaction as the answer it produced.
-- Invoices are computed from here, exact to the token.
CREATE TABLE usage_ledger (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
  message_id uuid REFERENCES messages (id) ON DELETE SET NULL,
  request_id text NOT NULL,
  attempt int NOT NULL,
  model text NOT NULL,
  input_tokens int NOT NULL CHECK (input_tokens >= 0),
  output_tokens int NOT NULL CHECK (output_tokens >= 0),
  -- true when the provider sent no usage (cut stream) and the tokens were counted locally.
  estimated boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (request_id, attempt)
);
CREATE INDEX usage_ledger_tenant_created_idx ON usage_ledger (tenant_id, created_at);
CREATE INDEX usage_ledger_created_idx ON usage_ledger (created_at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['documents', 'chunks', 'ingestion_jobs', 'conversations', 'messages', 'usage_ledger']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant())
      WITH CHECK (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant())$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO docuchat_app', t);
  END LOOP;
END
$$;
GRANT SELECT ON settings TO docuchat_app;
GRANT USAGE ON SEQUENCE usage_ledger_id_seq TO docuchat_app;

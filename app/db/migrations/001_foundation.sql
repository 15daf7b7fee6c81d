-- Tenants, users and refresh tokens; the application role and row-level security.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'docuchat_app') THEN
    CREATE ROLE docuchat_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
  END IF;
END
$$;
-- The connecting user switches to the application role for request transactions (SET LOCAL ROLE).
GRANT docuchat_app TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO docuchat_app;

-- The tenant of the current request transaction, or NULL outside one.
CREATE OR REPLACE FUNCTION app_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name text NOT NULL,
  billing_email text,
  discount_percent numeric(5, 2) NOT NULL DEFAULT 0 CHECK (discount_percent BETWEEN 0 AND 100),
  daily_token_budget bigint CHECK (daily_token_budget IS NULL OR daily_token_budget >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email text NOT NULL UNIQUE CHECK (email = lower(email)),
  password_hash text NOT NULL,
  full_name text NOT NULL,
  role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_tenant_idx ON users (tenant_id);

CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- All tokens rotated from one login share a family; reuse of a rotated token revokes the family.
  family_id uuid NOT NULL,
  token_hash text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  rotated_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Row-level security as defence in depth: the application role sees only the current tenant's rows, even
-- when a query forgets its tenant filter. Other roles (migrations, login lookup, billing) are not restricted.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
  USING (current_user <> 'docuchat_app' OR id = app_current_tenant())
  WITH CHECK (current_user <> 'docuchat_app' OR id = app_current_tenant());

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
  USING (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant())
  WITH CHECK (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant());

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_tokens
  USING (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant())
  WITH CHECK (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant());

GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, users, refresh_tokens TO docuchat_app;

-- Invoices of the daily billing job (billing/), one per tenant and billed day, and their payment state.
--
-- The seed's tenant_invoice columns (id, tenant_id, tokens, amount, created_at, status, zibal_track_id, paid_at
-- and its two indexes) are kept; the rest is what makes a re-run or a crash safe:
--   * UNIQUE (tenant_id, period_start): billing the same day twice finds the existing invoice;
--   * link_requested_at is written BEFORE Zibal is asked for a payment, so a crash between Zibal's answer and
--     storing the trackId is noticed, and the next run asks Zibal by order_id before requesting again;
--   * emailed_at: the e-mail step happens once;
--   * carried_into: an amount below Zibal's minimum (1,000 Rials) is absorbed by the tenant's next invoice.
CREATE TABLE tenant_invoice (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- The billed day in the billing time zone, and its exact bounds [period_from, period_to).
  period_start date NOT NULL,
  period_end date NOT NULL,
  period_from timestamptz NOT NULL,
  period_to timestamptz NOT NULL,
  source text NOT NULL CHECK (source IN ('ledger', 'prometheus')),
  tokens bigint NOT NULL CHECK (tokens >= 0),
  -- Price and discount as applied, so an invoice can be explained after either changes.
  price_per_1k_tomans numeric(10, 2) NOT NULL,
  discount_percent numeric(5, 2) NOT NULL,
  -- This day's usage after discount, what earlier carried-forward invoices add, and their sum (Tomans).
  usage_amount numeric(10, 2) NOT NULL CHECK (usage_amount >= 0),
  carried_amount numeric(10, 2) NOT NULL DEFAULT 0 CHECK (carried_amount >= 0),
  amount numeric(10, 2) NOT NULL CHECK (amount >= 0),
  -- What Zibal is asked for: whole Rials (Tomans x 10).
  amount_rials bigint NOT NULL CHECK (amount_rials >= 0),
  status varchar(50) NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'link_created', 'emailed', 'paid', 'failed', 'carried_forward')),
  order_id text NOT NULL UNIQUE,
  link_requested_at timestamptz,
  zibal_track_id varchar(255) UNIQUE,
  payment_url text,
  emailed_at timestamptz,
  email_to text,
  paid_at timestamptz,
  ref_number text,
  carried_into bigint REFERENCES tenant_invoice (id),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, period_start),
  CHECK (period_end >= period_start AND period_to > period_from),
  CHECK (amount = usage_amount + carried_amount),
  CHECK (status <> 'paid' OR (paid_at IS NOT NULL AND zibal_track_id IS NOT NULL))
);
CREATE INDEX idx_tenant_invoice_tenant ON tenant_invoice (tenant_id);
CREATE INDEX idx_tenant_invoice_status ON tenant_invoice (status);

ALTER TABLE tenant_invoice ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_invoice FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_invoice
  USING (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant())
  WITH CHECK (current_user <> 'docuchat_app' OR tenant_id = app_current_tenant());
-- The web app only reads invoices; the billing job and the payment callback write as the owner.
GRANT SELECT ON tenant_invoice TO docuchat_app;

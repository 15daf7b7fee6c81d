import type pg from 'pg';
import { withTransaction } from '../app/db/index.js';
import { centsToDecimal } from './money.js';
import type { BillingPeriod } from './period.js';
import { parseHundredths, tomansToRials } from './pricing.js';
import type { UsageSourceName } from './sources/usage.js';
import { ZIBAL_MINIMUM_RIALS } from './zibal.js';

/**
 * An invoice moves pending → link_created → emailed → paid. `failed`: Zibal refused the payment request (the next
 * run tries again once the cause is fixed). `carried_forward`: below Zibal's minimum, absorbed by the tenant's next
 * invoice. Steps are recorded by their own columns (link_requested_at, zibal_track_id, emailed_at), so a run that
 * crashed anywhere is resumed from the first step not yet recorded.
 */
export type InvoiceStatus = 'pending' | 'link_created' | 'emailed' | 'paid' | 'failed' | 'carried_forward';

/** Statuses a billing run still has work for. */
export const UNFINISHED_STATUSES: readonly InvoiceStatus[] = ['pending', 'link_created', 'failed'];

export interface Invoice {
  id: string;
  tenantId: string;
  tenantSlug: string;
  tenantName: string;
  billingEmail: string | null;
  periodStart: string;
  periodEnd: string;
  source: UsageSourceName;
  tokens: number;
  pricePer1kTomans: string;
  discountPercent: string;
  usageAmount: string;
  carriedAmount: string;
  amount: string;
  amountRials: number;
  status: InvoiceStatus;
  orderId: string;
  linkRequestedAt: Date | null;
  zibalTrackId: string | null;
  paymentUrl: string | null;
  emailedAt: Date | null;
  paidAt: Date | null;
  refNumber: string | null;
  carriedInto: string | null;
  lastError: string | null;
  createdAt: Date;
}

const SELECT_INVOICE = `
  SELECT i.id::text, i.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name, t.billing_email,
         to_char(i.period_start, 'YYYY-MM-DD') AS period_start, to_char(i.period_end, 'YYYY-MM-DD') AS period_end,
         i.source, i.tokens, i.price_per_1k_tomans::text, i.discount_percent::text, i.usage_amount::text,
         i.carried_amount::text, i.amount::text, i.amount_rials, i.status, i.order_id, i.link_requested_at,
         i.zibal_track_id, i.payment_url, i.emailed_at, i.paid_at, i.ref_number, i.carried_into::text,
         i.last_error, i.created_at
    FROM tenant_invoice i JOIN tenants t ON t.id = i.tenant_id`;

type Row = Record<string, unknown>;

function toInvoice(r: Row): Invoice {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    tenantSlug: r.tenant_slug as string,
    tenantName: r.tenant_name as string,
    billingEmail: r.billing_email as string | null,
    periodStart: r.period_start as string,
    periodEnd: r.period_end as string,
    source: r.source as UsageSourceName,
    tokens: Number(r.tokens),
    pricePer1kTomans: r.price_per_1k_tomans as string,
    discountPercent: r.discount_percent as string,
    usageAmount: r.usage_amount as string,
    carriedAmount: r.carried_amount as string,
    amount: r.amount as string,
    amountRials: Number(r.amount_rials),
    status: r.status as InvoiceStatus,
    orderId: r.order_id as string,
    linkRequestedAt: r.link_requested_at as Date | null,
    zibalTrackId: r.zibal_track_id as string | null,
    paymentUrl: r.payment_url as string | null,
    emailedAt: r.emailed_at as Date | null,
    paidAt: r.paid_at as Date | null,
    refNumber: r.ref_number as string | null,
    carriedInto: r.carried_into as string | null,
    lastError: r.last_error as string | null,
    createdAt: r.created_at as Date,
  };
}

/** The order id sent to Zibal, as in the seed: `<tenant>-<date>`, with the slug for the tenant. */
export function orderIdFor(tenantSlug: string, period: BillingPeriod): string {
  return `${tenantSlug}-${period.day}`;
}

export async function findInvoice(db: pg.Pool | pg.PoolClient, id: string): Promise<Invoice | undefined> {
  const { rows } = await db.query(`${SELECT_INVOICE} WHERE i.id = $1`, [id]);
  return rows[0] ? toInvoice(rows[0]) : undefined;
}

export async function findInvoiceByTrackId(
  db: pg.Pool | pg.PoolClient,
  trackId: string,
): Promise<Invoice | undefined> {
  const { rows } = await db.query(`${SELECT_INVOICE} WHERE i.zibal_track_id = $1`, [trackId]);
  return rows[0] ? toInvoice(rows[0]) : undefined;
}

export async function invoicesForDay(db: pg.Pool, day: string): Promise<Invoice[]> {
  const { rows } = await db.query(`${SELECT_INVOICE} WHERE i.period_start = $1 ORDER BY t.slug`, [day]);
  return rows.map(toInvoice);
}

/** Invoices a run still has steps for, oldest first (also earlier days a crashed or failed run left behind). */
export async function unfinishedInvoices(db: pg.Pool): Promise<Invoice[]> {
  const { rows } = await db.query(
    `${SELECT_INVOICE} WHERE i.status = ANY($1::text[]) ORDER BY i.period_start, t.slug`,
    [UNFINISHED_STATUSES],
  );
  return rows.map(toInvoice);
}

export interface NewInvoice {
  tenantId: string;
  tenantSlug: string;
  period: BillingPeriod;
  source: UsageSourceName;
  tokens: number;
  pricePer1kTomans: string;
  discountPercent: string;
  /** This period's usage after discount, in cents. */
  usageCents: bigint;
}

/**
 * Creates the tenant's invoice for the period unless it exists (then returns the existing one, `created: false`).
 * In the same transaction it absorbs the tenant's earlier carried-forward invoices: their amount is added, and
 * they point at the new invoice, so each carried amount is billed exactly once. When the total is still below
 * Zibal's minimum, the new invoice is carried forward in turn.
 */
export async function createInvoice(
  pool: pg.Pool,
  input: NewInvoice,
): Promise<{ invoice: Invoice; created: boolean }> {
  const id = await withTransaction(pool, async (client) => {
    // Serialises invoice creation per tenant, so two runs cannot absorb the same carried amount.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('tenant_invoice:' || $1))`, [input.tenantId]);
    const existing = await client.query<{ id: string }>(
      'SELECT id::text FROM tenant_invoice WHERE tenant_id = $1 AND period_start = $2',
      [input.tenantId, input.period.day],
    );
    if (existing.rows[0]) return { id: existing.rows[0].id, created: false };
    const carried = await client.query<{ id: string; amount: string }>(
      `SELECT id::text, amount::text FROM tenant_invoice
        WHERE tenant_id = $1 AND status = 'carried_forward' AND carried_into IS NULL AND period_start < $2
        ORDER BY period_start FOR UPDATE`,
      [input.tenantId, input.period.day],
    );
    const carriedCents = carried.rows.reduce((sum, r) => sum + parseHundredths(r.amount), 0n);
    const totalCents = input.usageCents + carriedCents;
    const rials = Number(tomansToRials(totalCents));
    const status: InvoiceStatus = rials < ZIBAL_MINIMUM_RIALS ? 'carried_forward' : 'pending';
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO tenant_invoice (tenant_id, period_start, period_end, period_from, period_to, source, tokens,
                                   price_per_1k_tomans, discount_percent, usage_amount, carried_amount, amount,
                                   amount_rials, status, order_id)
       VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       RETURNING id::text`,
      [
        input.tenantId,
        input.period.day,
        input.period.from,
        input.period.to,
        input.source,
        input.tokens,
        input.pricePer1kTomans,
        input.discountPercent,
        centsToDecimal(input.usageCents),
        centsToDecimal(carriedCents),
        centsToDecimal(totalCents),
        rials,
        status,
        orderIdFor(input.tenantSlug, input.period),
      ],
    );
    const newId = inserted.rows[0]!.id;
    if (carried.rows.length > 0) {
      await client.query(
        'UPDATE tenant_invoice SET carried_into = $1, updated_at = now() WHERE id = ANY($2::bigint[])',
        [newId, carried.rows.map((r) => r.id)],
      );
    }
    return { id: newId, created: true };
  });
  const invoice = await findInvoice(pool, id.id);
  return { invoice: invoice!, created: id.created };
}

/** Step 2a: written before Zibal is asked, so a lost answer is looked up by order id instead of asked again. */
export async function markLinkRequested(pool: pg.Pool, id: string): Promise<void> {
  await pool.query(
    'UPDATE tenant_invoice SET link_requested_at = coalesce(link_requested_at, now()), updated_at = now() WHERE id = $1',
    [id],
  );
}

/** Step 2b: the payment exists at Zibal. */
export async function markLinkCreated(
  pool: pg.Pool,
  id: string,
  trackId: string,
  paymentUrl: string,
): Promise<void> {
  await pool.query(
    `UPDATE tenant_invoice
        SET zibal_track_id = $2, payment_url = $3, last_error = NULL, updated_at = now(),
            status = CASE WHEN status IN ('pending', 'failed') THEN 'link_created' ELSE status END
      WHERE id = $1`,
    [id, trackId, paymentUrl],
  );
}

/** Step 3: the e-mail went out (or was logged when no SMTP server is configured). */
export async function markEmailed(pool: pg.Pool, id: string, to: string): Promise<void> {
  await pool.query(
    `UPDATE tenant_invoice
        SET emailed_at = now(), email_to = $2, last_error = NULL, updated_at = now(),
            status = CASE WHEN status = 'link_created' THEN 'emailed' ELSE status END
      WHERE id = $1`,
    [id, to],
  );
}

/** A step failed. `permanent`: Zibal refused, the invoice becomes `failed`; otherwise it keeps its status. */
export async function markStepFailed(
  pool: pg.Pool,
  id: string,
  error: string,
  permanent: boolean,
): Promise<void> {
  await pool.query(
    `UPDATE tenant_invoice
        SET last_error = $2, updated_at = now(),
            status = CASE WHEN $3 AND status = 'pending' THEN 'failed' ELSE status END
      WHERE id = $1`,
    [id, error.slice(0, 1000), permanent],
  );
}

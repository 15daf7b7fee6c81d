import type pg from 'pg';
import { isUuid, withTransaction } from '../app/db/index.js';
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

/** An invoice's columns, read from `i` (tenant_invoice, or a CTE returning its rows) joined with its tenant `t`. */
const INVOICE_COLUMNS = `
  i.id::text, i.tenant_id, t.slug AS tenant_slug, t.name AS tenant_name, t.billing_email,
  to_char(i.period_start, 'YYYY-MM-DD') AS period_start, to_char(i.period_end, 'YYYY-MM-DD') AS period_end,
  i.source, i.tokens, i.price_per_1k_tomans::text, i.discount_percent::text, i.usage_amount::text,
  i.carried_amount::text, i.amount::text, i.amount_rials, i.status, i.order_id, i.link_requested_at,
  i.zibal_track_id, i.payment_url, i.emailed_at, i.paid_at, i.ref_number, i.carried_into::text,
  i.last_error, i.created_at`;

const SELECT_INVOICE = `SELECT ${INVOICE_COLUMNS} FROM tenant_invoice i JOIN tenants t ON t.id = i.tenant_id`;

/**
 * Runs a data-modifying statement that ends in `RETURNING *` as a CTE named `i` and selects the invoice it
 * changed, so a step is recorded and the invoice read back in one round trip.
 */
const returningInvoice = (statement: string) =>
  `WITH i AS (${statement}) SELECT ${INVOICE_COLUMNS} FROM i JOIN tenants t ON t.id = i.tenant_id`;

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
  /**
   * The caller asks Zibal for the payment link next: a new `pending` invoice is written with `link_requested_at`
   * already set (step 2a recorded with the invoice instead of by a statement of its own).
   */
  requestLink?: boolean;
}

export interface CreatedInvoice {
  invoice: Invoice;
  /** False when the tenant's invoice for the period existed already (then it is returned unchanged). */
  created: boolean;
}

/**
 * Creates the tenant's invoice for the period unless it exists (then returns the existing one, `created: false`).
 * In the same transaction it absorbs the tenant's earlier carried-forward invoices: their amount is added, and
 * they point at the new invoice, so each carried amount is billed exactly once. When the total is still below
 * Zibal's minimum, the new invoice is carried forward in turn.
 */
export async function createInvoice(pool: pg.Pool, input: NewInvoice): Promise<CreatedInvoice> {
  return (await createInvoices(pool, [input]))[0]!;
}

/**
 * {@link createInvoice} for several tenants in one transaction of four statements whatever their number (the
 * tenants' locks, one read of their existing and carried invoices, one INSERT that also marks the carried ones
 * absorbed and returns the new invoices, COMMIT). Results are in the order of `inputs`. If one invoice cannot be
 * written (a constraint), none of the batch is: the caller retries them one by one to isolate it.
 */
export async function createInvoices(
  pool: pg.Pool,
  inputs: readonly NewInvoice[],
): Promise<CreatedInvoice[]> {
  if (inputs.length === 0) return [];
  const key = (tenantId: string) => tenantId.toLowerCase();
  if (new Set(inputs.map((i) => key(i.tenantId))).size < inputs.length) {
    // A tenant twice (two days): one transaction each, in order, so the later day absorbs what the earlier carried.
    const results: CreatedInvoice[] = [];
    for (const input of inputs) results.push(...(await createInvoices(pool, [input])));
    return results;
  }
  // The tenants' locks serialise invoice creation per tenant (taken in one order), so two runs cannot absorb the
  // same carried amount. Sent with BEGIN as one statement batch, which takes no parameters: the ids are inlined,
  // which is safe because they are UUIDs (tenants.id is one; the next statement casts them to uuid anyway).
  const tenantIds = inputs.map((i) => key(i.tenantId)).sort();
  if (!tenantIds.every(isUuid)) throw new TypeError('createInvoices needs tenant UUIDs');
  const begin = `BEGIN; SELECT pg_advisory_xact_lock(hashtext('tenant_invoice:' || t)) FROM unnest('{${tenantIds.join(',')}}'::text[]) AS t`;
  return withTransaction(
    pool,
    async (client) => {
      // Each tenant's invoice of its day, if any, and its carried-forward amounts not absorbed yet (earlier days).
      const { rows } = await client.query(
        `SELECT ${INVOICE_COLUMNS}
         FROM unnest($1::uuid[], $2::date[]) AS w(tenant_id, day)
         JOIN tenant_invoice i
           ON i.tenant_id = w.tenant_id
          AND (i.period_start = w.day
               OR (i.status = 'carried_forward' AND i.carried_into IS NULL AND i.period_start < w.day))
         JOIN tenants t ON t.id = i.tenant_id
        ORDER BY i.period_start, i.id
          FOR UPDATE OF i`,
        [inputs.map((i) => i.tenantId), inputs.map((i) => i.period.day)],
      );
      const found = new Map<string, Invoice[]>();
      for (const invoice of rows.map(toInvoice)) {
        const list = found.get(key(invoice.tenantId)) ?? [];
        list.push(invoice);
        found.set(key(invoice.tenantId), list);
      }
      const results: (CreatedInvoice | undefined)[] = [];
      const fresh: { index: number; input: NewInvoice; carried: Invoice[]; carriedCents: bigint }[] = [];
      for (const [index, input] of inputs.entries()) {
        const mine = found.get(key(input.tenantId)) ?? [];
        const existing = mine.find((i) => i.periodStart === input.period.day);
        if (existing) {
          results[index] = { invoice: existing, created: false };
          continue;
        }
        const carriedCents = mine.reduce((sum, i) => sum + parseHundredths(i.amount), 0n);
        fresh.push({ index, input, carried: mine, carriedCents });
      }
      if (fresh.length > 0) {
        const rows = fresh.map(({ input, carriedCents }) => {
          const totalCents = input.usageCents + carriedCents;
          const rials = Number(tomansToRials(totalCents));
          const status: InvoiceStatus = rials < ZIBAL_MINIMUM_RIALS ? 'carried_forward' : 'pending';
          return [
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
            input.requestLink === true,
          ] as const;
        });
        const column = (n: number) => rows.map((r) => r[n]);
        const absorbed = fresh.flatMap(({ input, carried }) => carried.map((c) => [c.id, input.tenantId]));
        const inserted = await client.query(
          `WITH i AS (
           INSERT INTO tenant_invoice (tenant_id, period_start, period_end, period_from, period_to, source, tokens,
                                       price_per_1k_tomans, discount_percent, usage_amount, carried_amount, amount,
                                       amount_rials, status, order_id, link_requested_at)
           SELECT tenant_id, day, day, period_from, period_to, source, tokens, price, discount, usage_amount,
                  carried_amount, amount, amount_rials, status, order_id,
                  CASE WHEN request_link AND status = 'pending' THEN now() END
             FROM unnest($1::uuid[], $2::date[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::bigint[],
                         $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::bigint[],
                         $13::text[], $14::text[], $15::boolean[])
               AS v(tenant_id, day, period_from, period_to, source, tokens, price, discount, usage_amount,
                    carried_amount, amount, amount_rials, status, order_id, request_link)
           RETURNING *),
         absorbed AS (
           UPDATE tenant_invoice c SET carried_into = i.id, updated_at = now()
             FROM unnest($16::bigint[], $17::uuid[]) AS a(id, tenant_id)
             JOIN i ON i.tenant_id = a.tenant_id
            WHERE c.id = a.id)
         SELECT ${INVOICE_COLUMNS} FROM i JOIN tenants t ON t.id = i.tenant_id`,
          [
            ...Array.from({ length: 15 }, (_, n) => column(n)),
            absorbed.map((a) => a[0]),
            absorbed.map((a) => a[1]),
          ],
        );
        const created = new Map(inserted.rows.map(toInvoice).map((i) => [key(i.tenantId), i]));
        for (const { index, input } of fresh) {
          const invoice = created.get(key(input.tenantId));
          if (!invoice) throw new Error(`the invoice for ${input.tenantSlug} was not written`);
          results[index] = { invoice, created: true };
        }
      }
      return results as CreatedInvoice[];
    },
    begin,
  );
}

/**
 * Step 2a, for several invoices in one statement: written before Zibal is asked, so a lost answer is looked up by
 * order id instead of asked again.
 */
export async function markLinksRequested(pool: pg.Pool, ids: readonly string[]): Promise<void> {
  await pool.query(
    `UPDATE tenant_invoice SET link_requested_at = coalesce(link_requested_at, now()), updated_at = now()
      WHERE id = ANY($1::bigint[])`,
    [ids],
  );
}

/** Step 2b or 3 of one invoice: the payment link Zibal created, or the address the e-mail went to. */
export type StepRecord =
  | { id: string; link: { trackId: string; paymentUrl: string }; emailTo?: undefined }
  | { id: string; link?: undefined; emailTo: string };

/**
 * Steps 2b (the payment exists at Zibal) and 3 (the e-mail went out, or was logged without an SMTP server) for
 * several invoices, one step each, in one statement; returns the invoices as recorded (undefined for one that no
 * longer exists), in the order of `records`.
 */
export async function recordSteps(
  pool: pg.Pool,
  records: readonly StepRecord[],
): Promise<(Invoice | undefined)[]> {
  const { rows } = await pool.query(
    returningInvoice(`UPDATE tenant_invoice u
        SET zibal_track_id = CASE WHEN v.track_id IS NULL THEN u.zibal_track_id ELSE v.track_id END,
            payment_url = CASE WHEN v.track_id IS NULL THEN u.payment_url ELSE v.payment_url END,
            emailed_at = CASE WHEN v.email_to IS NULL THEN u.emailed_at ELSE now() END,
            email_to = CASE WHEN v.email_to IS NULL THEN u.email_to ELSE v.email_to END,
            last_error = NULL, updated_at = now(),
            status = CASE
              WHEN v.track_id IS NOT NULL AND u.status IN ('pending', 'failed') THEN 'link_created'
              WHEN v.email_to IS NOT NULL AND u.status = 'link_created' THEN 'emailed'
              ELSE u.status END
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS v(id, track_id, payment_url, email_to)
      WHERE u.id = v.id
      RETURNING u.*`),
    [
      records.map((r) => r.id),
      records.map((r) => r.link?.trackId ?? null),
      records.map((r) => r.link?.paymentUrl ?? null),
      records.map((r) => r.emailTo ?? null),
    ],
  );
  return inOrder(records, rows.map(toInvoice));
}

/** The invoices matching `wanted` by id, in its order. */
function inOrder(wanted: readonly { id: string }[], invoices: Invoice[]): (Invoice | undefined)[] {
  const byId = new Map(invoices.map((i) => [i.id, i]));
  return wanted.map((w) => byId.get(w.id));
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

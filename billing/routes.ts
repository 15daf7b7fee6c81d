import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { Config } from '../app/config/index.js';
import { type Database, withTenant } from '../app/db/index.js';
import { type PaymentOutcome, settlePayment } from './payments.js';
import { localDay, parseDay, startOfDay } from './period.js';
import { ZibalClient } from './zibal.js';

export interface BillingRoutesOptions {
  db: Database;
  config: Config;
}

/** The part of the server's `request.auth` these routes use (set by the server's `authenticate` hook). */
interface TenantAuth {
  tenantId: string;
}

const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() });

const CallbackQuery = Type.Object({
  trackId: Type.String({ pattern: '^[0-9]{1,20}$' }),
  success: Type.Optional(Type.String({ maxLength: 8 })),
  status: Type.Optional(Type.String({ maxLength: 8 })),
  orderId: Type.Optional(Type.String({ maxLength: 200 })),
});

/** Invoice states, in the order an invoice moves through them. */
export const INVOICE_STATUSES = [
  'pending',
  'link_created',
  'emailed',
  'paid',
  'failed',
  'carried_forward',
] as const;

export const InvoiceItem = Type.Object({
  id: Type.String(),
  periodStart: Type.String({ description: 'Billed day, YYYY-MM-DD in the billing time zone' }),
  periodEnd: Type.String(),
  tokens: Type.Integer(),
  amountTomans: Type.String({
    description: 'Decimal string with two places, including carried-forward amounts',
  }),
  carriedTomans: Type.String(),
  status: Type.Union(INVOICE_STATUSES.map((s) => Type.Literal(s))),
  payUrl: Type.Union([Type.String(), Type.Null()], { description: 'Zibal payment page while unpaid' }),
  paidAt: Type.Union([Type.String(), Type.Null()]),
  refNumber: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});

export const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD' });
const UsageQuery = Type.Object({
  from: Type.Optional(Day),
  to: Type.Optional(Day),
});
/** Days shown when `from` is not given, and the longest range one request may ask for. */
const DEFAULT_USAGE_DAYS = 30;
const MAX_USAGE_DAYS = 366;

export const UsageItem = Type.Object({
  day: Type.String({ description: 'YYYY-MM-DD in the billing time zone' }),
  model: Type.String(),
  inputTokens: Type.Integer(),
  outputTokens: Type.Integer(),
  requests: Type.Integer(),
});

export const InvoiceList = Type.Object({ invoices: Type.Array(InvoiceItem) });
export const UsageResponse = Type.Object({
  timeZone: Type.String(),
  from: Day,
  to: Day,
  usage: Type.Array(UsageItem),
});
export type InvoiceItem = Static<typeof InvoiceItem>;
export type UsageItem = Static<typeof UsageItem>;
export type InvoiceList = Static<typeof InvoiceList>;
export type UsageResponse = Static<typeof UsageResponse>;

function authOf(request: FastifyRequest): TenantAuth {
  return (request as FastifyRequest & { auth: TenantAuth }).auth;
}

/**
 * Billing routes, registered by the server under `/api/v1/billing`:
 * - `GET /callback` — Zibal's redirect after payment (no auth: the customer's browser arrives from Zibal);
 * - `GET /invoices`, `GET /usage` — the signed-in tenant's invoices and its usage by day and model.
 */
export async function billingRoutes(app: FastifyInstance, opts: BillingRoutesOptions): Promise<void> {
  const { db, config } = opts;
  const zibal = config.ZIBAL_MERCHANT
    ? new ZibalClient({ merchant: config.ZIBAL_MERCHANT, baseUrl: config.ZIBAL_BASE_URL })
    : undefined;
  const billingPage = (outcome: PaymentOutcome) =>
    `${config.publicBaseUrl.replace(/\/+$/, '')}/billing?payment=${outcome}`;
  const authenticate = (
    app as FastifyInstance & { authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<void> }
  ).authenticate;

  app.get<{ Querystring: { trackId: string; success?: string; status?: string; orderId?: string } }>(
    '/callback',
    {
      schema: {
        summary:
          'Zibal payment callback: verifies the payment with Zibal, then redirects to the billing page',
        querystring: CallbackQuery,
        response: { 302: Type.Null(), 400: ErrorBody },
      },
    },
    async (request, reply) => {
      let outcome: PaymentOutcome;
      if (!zibal) {
        request.log.error(
          { trackId: request.query.trackId },
          'payment callback but ZIBAL_MERCHANT is not set',
        );
        outcome = 'error';
      } else {
        outcome = await settlePayment(db.pool, zibal, request.query, request.log);
      }
      return reply.redirect(billingPage(outcome), 302);
    },
  );

  app.get(
    '/invoices',
    {
      onRequest: [authenticate],
      schema: {
        summary: "The tenant's invoices, newest first",
        response: { 200: InvoiceList, 401: ErrorBody },
      },
    },
    async (request) => {
      const { tenantId } = authOf(request);
      const rows = await withTenant(db.pool, tenantId, async (client) => {
        const result = await client.query(
          `SELECT id::text, to_char(period_start, 'YYYY-MM-DD') AS period_start,
                  to_char(period_end, 'YYYY-MM-DD') AS period_end, tokens, amount::text, carried_amount::text,
                  status, payment_url, paid_at, ref_number, created_at
             FROM tenant_invoice WHERE tenant_id = $1
            ORDER BY period_start DESC LIMIT 400`,
          [tenantId],
        );
        return result.rows;
      });
      return {
        invoices: rows.map((r) => ({
          id: r.id,
          periodStart: r.period_start,
          periodEnd: r.period_end,
          tokens: Number(r.tokens),
          amountTomans: r.amount,
          carriedTomans: r.carried_amount,
          status: r.status,
          payUrl: r.status === 'paid' || r.status === 'carried_forward' ? null : (r.payment_url ?? null),
          paidAt: r.paid_at ? (r.paid_at as Date).toISOString() : null,
          refNumber: r.ref_number ?? null,
          createdAt: (r.created_at as Date).toISOString(),
        })),
      };
    },
  );

  app.get<{ Querystring: { from?: string; to?: string } }>(
    '/usage',
    {
      onRequest: [authenticate],
      schema: {
        summary: "The tenant's token usage per day (billing time zone) and model",
        querystring: UsageQuery,
        response: {
          200: UsageResponse,
          400: ErrorBody,
          401: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = authOf(request);
      const timeZone = config.BILLING_TIMEZONE;
      let to: string;
      let from: string;
      try {
        to = request.query.to ?? localDay(new Date(), timeZone);
        from = request.query.from ?? addDays(to, 1 - DEFAULT_USAGE_DAYS);
        parseDay(to);
        parseDay(from);
      } catch (error) {
        return reply.code(400).send({ error: 'bad_request', message: (error as Error).message });
      }
      if (from > to || addDays(from, MAX_USAGE_DAYS - 1) < to) {
        return reply.code(400).send({
          error: 'bad_request',
          message: `from must not be after to, and the range at most ${MAX_USAGE_DAYS} days`,
        });
      }
      const rows = await withTenant(db.pool, tenantId, async (client) => {
        const result = await client.query(
          `SELECT to_char((created_at AT TIME ZONE $2)::date, 'YYYY-MM-DD') AS day, model,
                  sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens,
                  count(*)::int AS requests
             FROM usage_ledger
            WHERE tenant_id = $1 AND created_at >= $3 AND created_at < $4
            GROUP BY 1, 2 ORDER BY 1 DESC, 2`,
          [tenantId, timeZone, startOfDay(from, timeZone), startOfDay(addDays(to, 1), timeZone)],
        );
        return result.rows;
      });
      return {
        timeZone,
        from,
        to,
        usage: rows.map((r) => ({
          day: r.day,
          model: r.model,
          inputTokens: Number(r.input_tokens),
          outputTokens: Number(r.output_tokens),
          requests: Number(r.requests),
        })),
      };
    },
  );
}

function addDays(day: string, days: number): string {
  const { year, month, date } = parseDay(day);
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

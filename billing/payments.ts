import type pg from 'pg';
import { withTransaction } from '../app/db/index.js';
import { findInvoiceByTrackId } from './invoices.js';
import { type ZibalClient, ZibalError, ZibalUnavailableError } from './zibal.js';

/** What the customer is told on the billing page (`?payment=<outcome>`). */
export type PaymentOutcome = 'paid' | 'already-paid' | 'not-paid' | 'mismatch' | 'unknown' | 'error';

export interface PaymentLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface CallbackQuery {
  trackId: string;
  orderId?: string;
  success?: string;
  status?: string;
}

/**
 * Handles Zibal's redirect after a payment. The query is only a hint — anyone can forge `success=1` — so the
 * payment is verified with Zibal, and credited only when Zibal's amount equals the invoice's and Zibal's orderId
 * is the invoice's. Crediting is one UPDATE that only moves an unpaid invoice to paid, so a replayed callback
 * (or Zibal's result 201, already verified) credits nothing a second time.
 */
export async function settlePayment(
  pool: pg.Pool,
  zibal: ZibalClient,
  query: CallbackQuery,
  log: PaymentLog,
): Promise<PaymentOutcome> {
  const invoice = await findInvoiceByTrackId(pool, query.trackId);
  const context = {
    trackId: query.trackId,
    orderId: query.orderId,
    invoiceId: invoice?.id,
    tenant: invoice?.tenantId,
  };
  if (!invoice) {
    log.warn(context, 'payment callback for a trackId no invoice has: refused');
    return 'unknown';
  }
  if (query.orderId !== undefined && query.orderId !== invoice.orderId) {
    log.warn(
      { ...context, expectedOrderId: invoice.orderId },
      'payment callback orderId does not match the invoice: refused',
    );
    return 'mismatch';
  }
  if (invoice.status === 'paid') {
    log.info(context, 'payment callback replayed for a paid invoice: nothing credited');
    return 'already-paid';
  }
  let verified: Awaited<ReturnType<ZibalClient['verify']>>;
  try {
    verified = await zibal.verify(query.trackId);
  } catch (error) {
    if (error instanceof ZibalError && (error.result === 202 || error.result === 203)) {
      log.info(
        { ...context, result: error.result, claimedSuccess: query.success },
        'payment not verified by Zibal: not paid',
      );
      return 'not-paid';
    }
    const level = error instanceof ZibalUnavailableError ? 'warn' : 'error';
    log[level]({ ...context, err: (error as Error).message }, 'payment verification failed');
    return 'error';
  }
  if (
    verified.amount !== invoice.amountRials ||
    (verified.orderId !== undefined && verified.orderId !== invoice.orderId)
  ) {
    log.error(
      {
        ...context,
        verifiedAmount: verified.amount,
        invoiceAmountRials: invoice.amountRials,
        verifiedOrderId: verified.orderId,
        expectedOrderId: invoice.orderId,
      },
      'verified payment does not match the invoice (amount or orderId): not credited',
    );
    return 'mismatch';
  }
  if (verified.alreadyVerified && verified.status !== 1) {
    log.warn(
      { ...context, status: verified.status },
      'Zibal says already verified but the payment is not settled: not credited',
    );
    return 'not-paid';
  }
  const credited = await withTransaction(pool, async (client) => {
    const { rowCount } = await client.query(
      `UPDATE tenant_invoice
          SET status = 'paid', paid_at = coalesce($2, now()), ref_number = $3, last_error = NULL,
              updated_at = now()
        WHERE id = $1 AND status <> 'paid'`,
      [invoice.id, paidAtOf(verified.paidAt), verified.refNumber ?? null],
    );
    return rowCount === 1;
  });
  if (!credited) {
    log.info(context, 'payment already credited by a concurrent callback: nothing credited');
    return 'already-paid';
  }
  log.info({ ...context, refNumber: verified.refNumber, amountRials: verified.amount }, 'invoice paid');
  return 'paid';
}

/** Zibal's paidAt when it is a readable time, else null (the database then records now()). */
function paidAtOf(value: string | undefined): Date | null {
  const ms = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms) : null;
}

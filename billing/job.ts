import { API_PREFIX } from '../app/config/http.js';
import type { Config } from '../app/config/index.js';
import type { Database } from '../app/db/index.js';
import {
  createInvoice,
  findInvoice,
  type Invoice,
  invoicesForDay,
  markEmailed,
  markLinkCreated,
  markLinkRequested,
  markStepFailed,
  unfinishedInvoices,
} from './invoices.js';
import { composeInvoiceEmail, type InvoiceMailer } from './mail.js';
import { formatCount, formatTomans } from './money.js';
import { type BillingPeriod, billingPeriod, jalaliDay, localDateTime, previousDay } from './period.js';
import { parseHundredths, tokenCostCents } from './pricing.js';
import { ledgerUsage } from './sources/ledger.js';
import { prometheusUsage } from './sources/prometheus.js';
import type { TenantUsage, UsageReport, UsageSourceName } from './sources/usage.js';
import { ZIBAL_MINIMUM_RIALS, type ZibalClient, ZibalError } from './zibal.js';

/** Where the invoice's steps stand after they are recorded; the crash-injection tests stop the run at each one. */
export type BillingStep =
  | 'invoice-created'
  | 'link-requested'
  | 'payment-requested'
  | 'link-created'
  | 'emailed';

/** Thrown by a test's `onStep` hook to stop the run the way a killed process would: nothing after it runs. */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

export interface BillingJobOptions {
  db: Database;
  config: Config;
  /** The day to bill, `YYYY-MM-DD` in BILLING_TIMEZONE. @default the previous full day */
  day?: string;
  /** @default new Date() */
  now?: Date;
  /** @default 'ledger' */
  source?: UsageSourceName;
  /** Compute and print, write nothing, call nothing. */
  dryRun?: boolean;
  /** Absent when ZIBAL_MERCHANT is unset: invoices then wait as pending for a run that has one. */
  zibal: ZibalClient | undefined;
  mailer: InvoiceMailer;
  print: (line: string) => void;
  onStep?: (step: BillingStep, invoice: Invoice) => void | Promise<void>;
}

export interface TenantFailure {
  tenant: string;
  reason: string;
}

export interface BillingJobResult {
  period: BillingPeriod;
  source: UsageSourceName;
  /** Invoices this run created (none on a re-run of the same day). */
  created: Invoice[];
  /** This period's usage amounts of the invoices created now, in cents. */
  revenueCents: bigint;
  failures: TenantFailure[];
  /** Invoices of earlier runs this run carried on. */
  resumed: number;
  exitCode: 0 | 1;
}

const RULE = '='.repeat(60);
/** Any constant: one billing run at a time, across pods and manual runs. */
const BILLING_LOCK_KEY = 4_242_006;

/** The billing callback Zibal redirects the customer to. */
export function callbackUrl(config: Pick<Config, 'publicBaseUrl'>): string {
  return `${config.publicBaseUrl.replace(/\/+$/, '')}${API_PREFIX}/billing/callback`;
}

/**
 * The daily billing job: usage of the day per tenant → price → invoice → Zibal payment link → e-mail → summary.
 * Every step is recorded before the next starts, so a re-run creates nothing twice and finishes what an earlier
 * crashed or failed run left (including invoices of earlier days).
 */
export async function runBillingJob(options: BillingJobOptions): Promise<BillingJobResult> {
  const { db, config, print } = options;
  const now = options.now ?? new Date();
  const source = options.source ?? 'ledger';
  const period = billingPeriod(
    options.day ?? previousDay(now, config.BILLING_TIMEZONE),
    config.BILLING_TIMEZONE,
  );
  const result: BillingJobResult = {
    period,
    source,
    created: [],
    revenueCents: 0n,
    failures: [],
    resumed: 0,
    exitCode: 0,
  };

  print(RULE);
  print(
    `• Starting billing job at ${localDateTime(now, config.BILLING_TIMEZONE)}${options.dryRun ? ' (dry run: nothing is written or sent)' : ''}`,
  );
  print(`• Period: ${period.day} (${jalaliDay(period.day).en}) in ${period.timeZone}`);
  print(RULE);
  print('');

  const lock = options.dryRun ? undefined : await db.pool.connect();
  try {
    if (lock) {
      const { rows } = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        BILLING_LOCK_KEY,
      ]);
      if (!rows[0]?.ok)
        throw new Error('Another billing run is in progress (advisory lock held); try again when it ends');
    }
    print(
      source === 'ledger'
        ? '• Querying the usage ledger for token usage...'
        : '• Querying Prometheus for token usage...',
    );
    const report = await readUsage(options, source, period);
    print(`✅ Found usage for ${report.usage.length} tenant(s)`);
    for (const unknown of report.unknownTenants) {
      const reason = `Prometheus reports ${formatCount(unknown.tokens)} tokens for tenant label "${unknown.slug}", which matches no tenant`;
      print(`❌ ${reason}`);
      result.failures.push({ tenant: unknown.slug, reason });
    }

    const existingBefore = options.dryRun ? [] : await invoicesForDay(db.pool, period.day);
    const handled = new Set<string>();
    for (const usage of report.usage) {
      print('');
      await billTenant(options, period, source, usage, result, handled);
    }

    if (!options.dryRun) {
      for (const invoice of await unfinishedInvoices(db.pool)) {
        if (handled.has(invoice.id)) continue;
        print('');
        print(`Resuming invoice ${invoice.orderId} (${invoice.status}) for tenant: ${invoice.tenantSlug}`);
        result.resumed++;
        await advanceSafely(options, invoice, result);
      }
      if (result.created.length === 0 && result.resumed === 0 && result.failures.length === 0) {
        print('');
        print(
          report.usage.length > 0 && existingBefore.length > 0
            ? `• Nothing new to bill: ${existingBefore.length} invoice(s) for ${period.day} already exist`
            : `• Nothing to bill for ${period.day}`,
        );
      }
    }
  } finally {
    if (lock) {
      await lock.query('SELECT pg_advisory_unlock($1)', [BILLING_LOCK_KEY]).catch(() => {});
      lock.release();
    }
  }

  result.exitCode = result.failures.length > 0 ? 1 : 0;
  print('');
  print(RULE);
  if (result.exitCode === 0)
    print(options.dryRun ? '✅ Billing dry run completed' : '✅ Billing job completed');
  else
    print(`❌ Billing job completed with failures for: ${result.failures.map((f) => f.tenant).join(', ')}`);
  print(`• Total revenue: ${formatTomans(result.revenueCents)} Tomans`);
  print(`• Invoices created: ${result.created.length}`);
  if (result.resumed > 0) print(`• Earlier invoices resumed: ${result.resumed}`);
  print(RULE);
  return result;
}

async function readUsage(
  options: BillingJobOptions,
  source: UsageSourceName,
  period: BillingPeriod,
): Promise<UsageReport> {
  if (source === 'ledger') return ledgerUsage(options.db.pool, period);
  if (!options.config.PROMETHEUS_URL) {
    throw new Error('--source prometheus needs PROMETHEUS_URL (e.g. http://docuchat-prometheus:9090)');
  }
  return prometheusUsage(options.db.pool, options.config.PROMETHEUS_URL, period);
}

async function billTenant(
  options: BillingJobOptions,
  period: BillingPeriod,
  source: UsageSourceName,
  usage: TenantUsage,
  result: BillingJobResult,
  handled: Set<string>,
): Promise<void> {
  const { config, print } = options;
  const usageCents = tokenCostCents(usage.tokens, usage.discountPercent, config.PRICE_PER_1K_TOKENS_TOMANS);
  print(`Processing tenant: ${usage.slug}`);
  print(`  Tokens: ${formatCount(usage.tokens)}`);
  const discount =
    parseHundredths(usage.discountPercent) > 0n ? ` (after ${usage.discountPercent}% discount)` : '';
  print(`  Amount: ${formatTomans(usageCents)} Tomans${discount}`);
  if (options.dryRun) {
    print(`• Dry run: an invoice for ${usage.slug} would be created`);
    result.revenueCents += usageCents;
    return;
  }
  let invoice: Invoice;
  try {
    const outcome = await createInvoice(options.db.pool, {
      tenantId: usage.tenantId,
      tenantSlug: usage.slug,
      period,
      source,
      tokens: usage.tokens,
      pricePer1kTomans: config.PRICE_PER_1K_TOKENS_TOMANS,
      discountPercent: usage.discountPercent,
      usageCents,
    });
    invoice = outcome.invoice;
    handled.add(invoice.id);
    if (outcome.created) {
      result.created.push(invoice);
      result.revenueCents += usageCents;
      print(`✅ Invoice created for tenant ${usage.slug}`);
      if (parseHundredths(invoice.carriedAmount) > 0n) {
        print(
          `• Carried forward from earlier invoices: ${formatTomans(parseHundredths(invoice.carriedAmount))} Tomans`,
        );
      }
      await options.onStep?.('invoice-created', invoice);
    } else {
      print(`• Invoice ${invoice.orderId} already exists (${invoice.status}): not billed again`);
      if (invoice.tokens !== usage.tokens) {
        print(
          `  Note: the invoice says ${formatCount(invoice.tokens)} tokens; the ${source} now says ${formatCount(usage.tokens)}`,
        );
      }
    }
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    const reason = (error as Error).message;
    print(`❌ Billing failed for tenant ${usage.slug}: ${reason}`);
    result.failures.push({ tenant: usage.slug, reason });
    return;
  }
  await advanceSafely(options, invoice, result);
}

async function advanceSafely(
  options: BillingJobOptions,
  invoice: Invoice,
  result: BillingJobResult,
): Promise<void> {
  try {
    await advance(options, invoice);
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    const reason = (error as Error).message;
    options.print(`❌ Billing failed for tenant ${invoice.tenantSlug}: ${reason}`);
    result.failures.push({ tenant: invoice.tenantSlug, reason });
    await markStepFailed(options.db.pool, invoice.id, reason, error instanceof ZibalError).catch(() => {});
  }
}

/** Takes an invoice through whichever of its steps are not recorded yet. */
async function advance(options: BillingJobOptions, start: Invoice): Promise<void> {
  const { db, config, print } = options;
  let invoice = start;
  if (invoice.status === 'carried_forward') {
    print(
      `• ${formatTomans(parseHundredths(invoice.amount))} Tomans is below Zibal's minimum of ${formatCount(ZIBAL_MINIMUM_RIALS)} Rials: carried forward to the next invoice`,
    );
    return;
  }
  if (invoice.status === 'paid' || invoice.status === 'emailed') return;

  if (!invoice.zibalTrackId) {
    const zibal = options.zibal;
    if (!zibal) {
      print('• Payment link not created: ZIBAL_MERCHANT is not set (the invoice waits as pending)');
      return;
    }
    let trackId: string | undefined;
    let paymentUrl: string | undefined;
    if (invoice.linkRequestedAt) {
      // An earlier run asked Zibal and may have lost the answer: ask for the order before asking again.
      const earlier = await zibal.findByOrderId(invoice.orderId);
      if (earlier?.trackId) {
        trackId = earlier.trackId;
        paymentUrl = zibal.paymentUrl(earlier.trackId);
        print(`• Found the payment an earlier run requested (trackId ${trackId})`);
      }
    }
    if (!trackId) {
      await markLinkRequested(db.pool, invoice.id);
      await options.onStep?.('link-requested', invoice);
      const created = await zibal.requestPayment({
        amount: invoice.amountRials,
        callbackUrl: callbackUrl(config),
        description: `DocuChat usage for ${invoice.tenantSlug} on ${invoice.periodStart}`,
        orderId: invoice.orderId,
      });
      await options.onStep?.('payment-requested', invoice);
      trackId = created.trackId;
      paymentUrl = created.paymentUrl;
    }
    await markLinkCreated(db.pool, invoice.id, trackId, paymentUrl!);
    invoice = (await findInvoice(db.pool, invoice.id))!;
    print(`• Payment link created: ${paymentUrl}`);
    await options.onStep?.('link-created', invoice);
  }

  if (!invoice.emailedAt) {
    const to = invoice.billingEmail ?? (await ownerEmail(options, invoice.tenantId));
    if (!to) throw new Error('no billing e-mail: set tenants.billing_email or add an owner user');
    const how = await options.mailer.send(composeInvoiceEmail(invoice, to));
    await markEmailed(db.pool, invoice.id, to);
    invoice = (await findInvoice(db.pool, invoice.id))!;
    print(
      how === 'sent'
        ? `• Email sent to ${invoice.tenantSlug}`
        : `• Email logged for ${invoice.tenantSlug} (SMTP_URL unset)`,
    );
    await options.onStep?.('emailed', invoice);
  }
}

async function ownerEmail(options: BillingJobOptions, tenantId: string): Promise<string | undefined> {
  const { rows } = await options.db.pool.query<{ email: string }>(
    `SELECT email FROM users WHERE tenant_id = $1 ORDER BY (role = 'owner') DESC, created_at LIMIT 1`,
    [tenantId],
  );
  return rows[0]?.email;
}

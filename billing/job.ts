import { API_PREFIX } from '../app/config/http.js';
import type { Config } from '../app/config/index.js';
import type { Database } from '../app/db/index.js';
import { CreateAhead, StepBatcher } from './batch.js';
import {
  type CreatedInvoice,
  createInvoice,
  createInvoices,
  type Invoice,
  invoicesForDay,
  markLinksRequested,
  markStepFailed,
  type NewInvoice,
  recordSteps,
  type StepRecord,
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

/** Stops the other tenants billed at the same time at their next step once one of them crashed. */
class RunHalted extends SimulatedCrash {
  override name = 'RunHalted';
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
  /**
   * Tenants billed at the same time: each tenant's invoice is independent, and while some wait for Zibal or
   * SMTP, the steps of others are written to the database together (see batch.ts).
   * @default config.BILLING_CONCURRENCY
   */
  concurrency?: number;
  /**
   * Receives the output. With several tenants at a time each tenant's lines arrive together, as one block,
   * when that tenant is done (blocks in the order tenants finish); the summary lines come last.
   */
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
  let creator: CreateAhead<NewInvoice, CreatedInvoice> | undefined;
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
    const concurrency = options.concurrency ?? options.config.BILLING_CONCURRENCY;
    const writers = stepWriters(db);
    if (!options.dryRun) {
      creator = new CreateAhead<NewInvoice, CreatedInvoice>(
        report.usage.map((usage) => ({
          ...newInvoice(config, period, source, usage),
          // Zibal is asked right after: record that with the invoice rather than by a statement of its own.
          requestLink: Boolean(options.zibal),
        })),
        (inputs) => createInvoices(db.pool, inputs),
        (input) => createInvoice(db.pool, input),
        CREATE_AHEAD,
      );
    }
    const create = creator;
    const handled = new Set<string>();
    await billEach(options, writers, concurrency, result, report.usage, async (tenant, usage, index) => {
      tenant.print('');
      await billTenant(tenant, source, usage, handled, () => create!.get(index));
    });

    if (!options.dryRun) {
      const unfinished = (await unfinishedInvoices(db.pool)).filter((i) => !handled.has(i.id));
      result.resumed = unfinished.length;
      await billEach(options, writers, concurrency, result, unfinished, async (tenant, invoice) => {
        tenant.print('');
        tenant.print(
          `Resuming invoice ${invoice.orderId} (${invoice.status}) for tenant: ${invoice.tenantSlug}`,
        );
        await advanceSafely(tenant, invoice);
      });
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
    // A crash may leave a chunk of invoices being created: nothing of this run writes after the lock is gone.
    await creator?.idle();
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

/**
 * One tenant's share of a run. Its lines are printed together when the tenant is done, so tenants billed at the
 * same time never interleave their lines; its invoices and failures join the run's result in tenant order.
 */
interface TenantRun {
  options: BillingJobOptions;
  writers: StepWriters;
  print: (line: string) => void;
  created: Invoice[];
  revenueCents: bigint;
  failures: TenantFailure[];
  /** Records that a step is done (the tests' `onStep`), then stops here if another tenant crashed the run. */
  step(step: BillingStep, invoice: Invoice): Promise<void>;
  /** Throws {@link RunHalted} once another tenant's step crashed the run: nothing more is written or sent. */
  checkpoint(): void;
}

/** Where the tenants billed at the same time record their steps: one statement for all who wait (batch.ts). */
interface StepWriters {
  linkRequested: StepBatcher<string, void>;
  /** Links created and e-mails sent: the two steps of different tenants share one statement. */
  steps: StepBatcher<StepRecord, Invoice | undefined>;
}

function stepWriters(db: Database): StepWriters {
  const pool = db.pool;
  return {
    linkRequested: new StepBatcher<string, void>(async (ids) => {
      await markLinksRequested(pool, ids);
      return ids.map(() => undefined);
    }),
    steps: new StepBatcher((records) => recordSteps(pool, records)),
  };
}

/**
 * Runs `bill` for every item, `concurrency` at a time. When one throws (a crash; per-tenant failures are caught
 * inside), no further item starts, the ones in flight stop at their next step, and the first error is rethrown
 * once all have settled, so nothing of this run still writes after it returns.
 */
async function billEach<T>(
  options: BillingJobOptions,
  writers: StepWriters,
  concurrency: number,
  result: BillingJobResult,
  items: readonly T[],
  bill: (tenant: TenantRun, item: T, index: number) => Promise<void>,
): Promise<void> {
  const runs: TenantRun[] = [];
  let crash: { error: unknown } | undefined;
  let next = 0;
  const checkpoint = () => {
    if (crash) throw new RunHalted('stopped: the run crashed while this tenant was being billed');
  };
  const worker = async () => {
    while (!crash && next < items.length) {
      const index = next++;
      const lines: string[] = [];
      const tenant: TenantRun = {
        options,
        writers,
        print: (line) => lines.push(line),
        created: [],
        revenueCents: 0n,
        failures: [],
        async step(step, invoice) {
          await options.onStep?.(step, invoice);
          checkpoint();
        },
        checkpoint,
      };
      runs[index] = tenant;
      try {
        await bill(tenant, items[index]!, index);
      } catch (error) {
        crash ??= { error };
      } finally {
        for (const line of lines) options.print(line);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  for (const tenant of runs) {
    if (!tenant) continue;
    result.created.push(...tenant.created);
    result.revenueCents += tenant.revenueCents;
    result.failures.push(...tenant.failures);
  }
  if (crash) throw crash.error;
}

/** Tenants whose invoices are created together, in one transaction, ahead of their other steps (batch.ts). */
const CREATE_AHEAD = 100;

/** The invoice a tenant's usage makes. */
function newInvoice(
  config: Config,
  period: BillingPeriod,
  source: UsageSourceName,
  usage: TenantUsage,
): NewInvoice {
  return {
    tenantId: usage.tenantId,
    tenantSlug: usage.slug,
    period,
    source,
    tokens: usage.tokens,
    pricePer1kTomans: config.PRICE_PER_1K_TOKENS_TOMANS,
    discountPercent: usage.discountPercent,
    usageCents: tokenCostCents(usage.tokens, usage.discountPercent, config.PRICE_PER_1K_TOKENS_TOMANS),
  };
}

async function billTenant(
  tenant: TenantRun,
  source: UsageSourceName,
  usage: TenantUsage,
  handled: Set<string>,
  create: () => Promise<CreatedInvoice>,
): Promise<void> {
  const { options, print } = tenant;
  const usageCents = tokenCostCents(
    usage.tokens,
    usage.discountPercent,
    options.config.PRICE_PER_1K_TOKENS_TOMANS,
  );
  print(`Processing tenant: ${usage.slug}`);
  print(`  Tokens: ${formatCount(usage.tokens)}`);
  const discount =
    parseHundredths(usage.discountPercent) > 0n ? ` (after ${usage.discountPercent}% discount)` : '';
  print(`  Amount: ${formatTomans(usageCents)} Tomans${discount}`);
  if (options.dryRun) {
    print(`• Dry run: an invoice for ${usage.slug} would be created`);
    tenant.revenueCents += usageCents;
    return;
  }
  let invoice: Invoice;
  let linkRequested = false;
  try {
    tenant.checkpoint();
    const outcome = await create();
    invoice = outcome.invoice;
    handled.add(invoice.id);
    linkRequested = outcome.created && invoice.linkRequestedAt !== null;
    if (outcome.created) {
      tenant.created.push(invoice);
      tenant.revenueCents += usageCents;
      print(`✅ Invoice created for tenant ${usage.slug}`);
      if (parseHundredths(invoice.carriedAmount) > 0n) {
        print(
          `• Carried forward from earlier invoices: ${formatTomans(parseHundredths(invoice.carriedAmount))} Tomans`,
        );
      }
      await tenant.step('invoice-created', invoice);
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
    tenant.failures.push({ tenant: usage.slug, reason });
    return;
  }
  await advanceSafely(tenant, invoice, linkRequested);
}

async function advanceSafely(tenant: TenantRun, invoice: Invoice, linkRequested = false): Promise<void> {
  try {
    await advance(tenant, invoice, linkRequested);
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    const reason = (error as Error).message;
    tenant.print(`❌ Billing failed for tenant ${invoice.tenantSlug}: ${reason}`);
    tenant.failures.push({ tenant: invoice.tenantSlug, reason });
    await markStepFailed(tenant.options.db.pool, invoice.id, reason, error instanceof ZibalError).catch(
      () => {},
    );
  }
}

/**
 * Takes an invoice through whichever of its steps are not recorded yet. `linkRequested`: this run created the
 * invoice with `link_requested_at` set and nothing has asked Zibal since, so there is no earlier payment to look
 * for and the step is recorded already.
 */
async function advance(tenant: TenantRun, start: Invoice, linkRequested: boolean): Promise<void> {
  const { options, print } = tenant;
  const { config } = options;
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
    tenant.checkpoint();
    let trackId: string | undefined;
    let paymentUrl: string | undefined;
    if (invoice.linkRequestedAt && !linkRequested) {
      // An earlier run asked Zibal and may have lost the answer: ask for the order before asking again.
      const earlier = await zibal.findByOrderId(invoice.orderId);
      if (earlier?.trackId) {
        trackId = earlier.trackId;
        paymentUrl = zibal.paymentUrl(earlier.trackId);
        print(`• Found the payment an earlier run requested (trackId ${trackId})`);
      }
      tenant.checkpoint();
    }
    if (!trackId) {
      if (!linkRequested) await tenant.writers.linkRequested.run(invoice.id);
      await tenant.step('link-requested', invoice);
      const created = await zibal.requestPayment({
        amount: invoice.amountRials,
        callbackUrl: callbackUrl(config),
        description: `DocuChat usage for ${invoice.tenantSlug} on ${invoice.periodStart}`,
        orderId: invoice.orderId,
      });
      await tenant.step('payment-requested', invoice);
      trackId = created.trackId;
      paymentUrl = created.paymentUrl;
    }
    invoice = recorded(
      await tenant.writers.steps.run({ id: invoice.id, link: { trackId, paymentUrl: paymentUrl! } }),
      invoice,
    );
    print(`• Payment link created: ${paymentUrl}`);
    await tenant.step('link-created', invoice);
  }

  if (!invoice.emailedAt) {
    tenant.checkpoint();
    const to = invoice.billingEmail ?? (await ownerEmail(options, invoice.tenantId));
    if (!to) throw new Error('no billing e-mail: set tenants.billing_email or add an owner user');
    tenant.checkpoint();
    const how = await options.mailer.send(composeInvoiceEmail(invoice, to), print);
    invoice = recorded(await tenant.writers.steps.run({ id: invoice.id, emailTo: to }), invoice);
    print(
      how === 'sent'
        ? `• Email sent to ${invoice.tenantSlug}`
        : `• Email logged for ${invoice.tenantSlug} (SMTP_URL unset)`,
    );
    await tenant.step('emailed', invoice);
  }
}

/** The invoice a step's UPDATE returned; it can only be missing if the row was deleted during the run. */
function recorded(invoice: Invoice | undefined, before: Invoice): Invoice {
  if (!invoice) throw new Error(`invoice ${before.orderId} disappeared while it was being billed`);
  return invoice;
}

async function ownerEmail(options: BillingJobOptions, tenantId: string): Promise<string | undefined> {
  const { rows } = await options.db.pool.query<{ email: string }>(
    `SELECT email FROM users WHERE tenant_id = $1 ORDER BY (role = 'owner') DESC, created_at LIMIT 1`,
    [tenantId],
  );
  return rows[0]?.email;
}

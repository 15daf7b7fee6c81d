import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeZibal, startFakeZibal } from '../../test/fakes/zibal.js';
import { findInvoice, type Invoice, invoicesForDay } from '../invoices.js';
import { type BillingJobOptions, type BillingStep, runBillingJob, SimulatedCrash } from '../job.js';
import { createInvoiceMailer } from '../mail.js';
import { ZibalClient } from '../zibal.js';
import {
  addUsage,
  createTenant,
  type SmtpInbox,
  startSmtpInbox,
  startTestDatabase,
  type TestDatabase,
  testConfig,
} from './support.js';

let test: TestDatabase;
let zibal: FakeZibal;
let inbox: SmtpInbox;

beforeAll(async () => {
  [test, zibal, inbox] = await Promise.all([startTestDatabase(), startFakeZibal(), startSmtpInbox()]);
});
afterAll(async () => {
  await Promise.all([test?.close(), zibal?.close(), inbox?.close()]);
});
beforeEach(() => {
  zibal.reset();
  inbox.messages.length = 0;
  inbox.down = false;
});

async function bill(day: string, options: Partial<BillingJobOptions> = {}) {
  const config = testConfig(test, {
    ZIBAL_MERCHANT: 'zibal',
    ZIBAL_BASE_URL: zibal.url,
    SMTP_URL: inbox.url,
  });
  const lines: string[] = [];
  const mailer = createInvoiceMailer({
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    log: (l) => lines.push(l),
  });
  try {
    const result = await runBillingJob({
      db: test.db,
      config,
      day,
      zibal: new ZibalClient({
        merchant: 'zibal',
        baseUrl: zibal.url,
        timeoutMs: 500,
        retries: 1,
        retryDelayMs: 10,
      }),
      mailer,
      print: (l) => lines.push(l),
      ...options,
    });
    return { result, output: lines.join('\n') };
  } finally {
    mailer.close();
  }
}

const invoiceOf = async (day: string, slug: string): Promise<Invoice> => {
  const invoice = (await invoicesForDay(test.db.pool, day)).find((i) => i.tenantSlug === slug);
  if (!invoice) throw new Error(`no invoice for ${slug} on ${day}`);
  return invoice;
};

describe('billing job, ledger source', () => {
  it("bills the seed's example exactly: 150,000 tokens on a Tehran day → 3,000.00 Tomans, link and e-mail", async () => {
    const tenant = await createTenant(test.db, { slug: 'demo-corp' });
    // 2025-10-05 in Tehran is [2025-10-04T20:30Z, 2025-10-05T20:30Z).
    await addUsage(test.db, tenant.id, '2025-10-04T20:30:00Z', 100_000, 20_000);
    await addUsage(test.db, tenant.id, '2025-10-05T20:29:59.999Z', 25_000, 5_000, 'gpt-4o-mini');
    await addUsage(test.db, tenant.id, '2025-10-04T20:29:59.999Z', 7, 7); // the day before
    await addUsage(test.db, tenant.id, '2025-10-05T20:30:00Z', 9, 9); // the day after

    const { result, output } = await bill('2025-10-05', { now: new Date('2025-10-05T23:30:00Z') });

    expect(result.exitCode).toBe(0);
    const invoice = await invoiceOf('2025-10-05', 'demo-corp');
    expect(invoice).toMatchObject({
      tokens: 150_000,
      amount: '3000.00',
      amountRials: 30_000,
      status: 'emailed',
      orderId: 'demo-corp-2025-10-05',
    });
    const [request] = zibal.callsTo('request');
    expect(request?.body).toMatchObject({
      merchant: 'zibal',
      amount: 30_000,
      orderId: 'demo-corp-2025-10-05',
      callbackUrl: 'https://docuchat.example.com/api/v1/billing/callback',
    });
    expect(invoice.paymentUrl).toBe(`${zibal.url}/start/${invoice.zibalTrackId}`);
    expect(output).toContain('• Starting billing job at 2025-10-06 03:00:00');
    expect(output).toContain('✅ Found usage for 1 tenant(s)');
    expect(output).toContain('Processing tenant: demo-corp\n  Tokens: 150,000\n  Amount: 3,000.00 Tomans');
    expect(output).toContain('✅ Invoice created for tenant demo-corp');
    expect(output).toContain(`• Payment link created: ${invoice.paymentUrl}`);
    expect(output).toContain('• Email sent to demo-corp');
    expect(output).toContain(
      '✅ Billing job completed\n• Total revenue: 3,000.00 Tomans\n• Invoices created: 1',
    );

    expect(inbox.messages).toHaveLength(1);
    const mail = inbox.messages[0]!;
    expect(mail.to).toEqual(['billing@demo-corp.example']);
    expect(mail.subject).toContain('DocuChat invoice 2025-10-05');
    expect(mail.text).toContain('دوره: ۱۳ مهر ۱۴۰۴ (۵ اکتبر ۲۰۲۵)');
    expect(mail.text).toContain('مبلغ قابل پرداخت: ۳,۰۰۰.۰۰ تومان');
    expect(mail.text).toContain('Period: 5 October 2025 (Mehr 13, 1404 AP)');
    expect(mail.text).toContain('Tokens used: 150,000');
    expect(mail.text).toContain('Amount due: 3,000.00 Tomans');
    expect(mail.text).toContain(`Pay: ${invoice.paymentUrl}`);
  });

  it('applies each tenant discount exactly and totals the revenue', async () => {
    const a = await createTenant(test.db, { discountPercent: '12.50' });
    const b = await createTenant(test.db, { discountPercent: '33.33' });
    await addUsage(test.db, a.id, '2025-11-01T10:00:00Z', 100_000, 50_000);
    await addUsage(test.db, b.id, '2025-11-01T10:00:00Z', 1_234, 5_678);

    const { result, output } = await bill('2025-11-01');

    expect(result.exitCode).toBe(0);
    // 150,000 × 20 / 1000 × 0.875 = 2,625.00; 6,912 × 20 / 1000 × 0.6667 = 92.164... → 92.16
    expect(await invoiceOf('2025-11-01', a.slug)).toMatchObject({ amount: '2625.00', amountRials: 26_250 });
    expect(await invoiceOf('2025-11-01', b.slug)).toMatchObject({ amount: '92.16', amountRials: 921 });
    expect(output).toContain('• Total revenue: 2,717.16 Tomans');
    expect(output).toContain('Amount: 2,625.00 Tomans (after 12.50% discount)');
  });

  it("carries an amount below Zibal's 1,000 Rials minimum into the tenant's next invoice", async () => {
    const tenant = await createTenant(test.db);
    await addUsage(test.db, tenant.id, '2025-11-02T10:00:00Z', 2_000, 400); // 48.00 Tomans = 480 Rials
    await addUsage(test.db, tenant.id, '2025-11-03T10:00:00Z', 2_000, 500); // 50.00 Tomans: 98.00 together

    const first = await bill('2025-11-02');
    expect(first.result.exitCode).toBe(0);
    expect(first.output).toContain(
      "is below Zibal's minimum of 1,000 Rials: carried forward to the next invoice",
    );
    const small = await invoiceOf('2025-11-02', tenant.slug);
    expect(small).toMatchObject({
      status: 'carried_forward',
      amount: '48.00',
      amountRials: 480,
      zibalTrackId: null,
    });
    expect(zibal.callsTo('request')).toHaveLength(0);
    expect(inbox.messages).toHaveLength(0);

    const second = await bill('2025-11-03');
    expect(second.result.exitCode).toBe(0);
    const next = await invoiceOf('2025-11-03', tenant.slug);
    expect(next).toMatchObject({
      usageAmount: '50.00',
      carriedAmount: '48.00',
      amount: '98.00',
      amountRials: 980,
    });
    // 980 Rials is still below the minimum: carried again, and the first invoice is absorbed, not counted twice.
    expect(next.status).toBe('carried_forward');
    expect((await findInvoice(test.db.pool, small.id))?.carriedInto).toBe(next.id);

    await addUsage(test.db, tenant.id, '2025-11-04T10:00:00Z', 100, 0); // 2.00 Tomans
    await bill('2025-11-04');
    const third = await invoiceOf('2025-11-04', tenant.slug);
    expect(third).toMatchObject({
      carriedAmount: '98.00',
      amount: '100.00',
      amountRials: 1000,
      status: 'emailed',
    });
    expect(zibal.callsTo('request').map((c) => c.body.amount)).toEqual([1000]);
    expect(inbox.messages[0]?.text).toContain('Carried forward from earlier invoices: 98.00 Tomans');
  });

  it('is idempotent: billing the same day again creates, requests and sends nothing new', async () => {
    const a = await createTenant(test.db);
    const b = await createTenant(test.db);
    await addUsage(test.db, a.id, '2025-11-05T08:00:00Z', 60_000, 1_000);
    await addUsage(test.db, b.id, '2025-11-05T09:00:00Z', 70_000, 2_000);

    const first = await bill('2025-11-05');
    const before = await invoicesForDay(test.db.pool, '2025-11-05');
    const second = await bill('2025-11-05');
    const after = await invoicesForDay(test.db.pool, '2025-11-05');

    expect(first.result.created).toHaveLength(2);
    expect(second.result.created).toHaveLength(0);
    expect(second.result.exitCode).toBe(0);
    expect(after).toEqual(before);
    expect(zibal.callsTo('request')).toHaveLength(2);
    expect(inbox.messages).toHaveLength(2);
    expect(second.output).toContain('• Nothing new to bill: 2 invoice(s) for 2025-11-05 already exist');
    expect(second.output).toContain('• Total revenue: 0.00 Tomans\n• Invoices created: 0');
  });

  it("bills several tenants at a time: each tenant's lines stay together, failures are named in order", async () => {
    const tenants = [];
    for (let i = 0; i < 9; i++) {
      tenants.push(
        await createTenant(test.db, {
          slug: `many-${i}-${Date.now()}`,
          billingEmail: i === 3 || i === 6 ? null : undefined,
        }),
      );
    }
    for (const t of tenants) await addUsage(test.db, t.id, '2025-11-20T08:00:00Z', 50_000, 0);

    const { result, output } = await bill('2025-11-20', { concurrency: 4 });

    const failed = [tenants[3]!.slug, tenants[6]!.slug];
    expect(result.exitCode).toBe(1);
    expect(result.failures.map((f) => f.tenant)).toEqual(failed);
    expect(output).toContain(`❌ Billing job completed with failures for: ${failed.join(', ')}`);
    expect(result.created).toHaveLength(9);
    expect(zibal.callsTo('request')).toHaveLength(9);
    expect(inbox.messages).toHaveLength(7);
    const blocks = output.split('\n\n').filter((b) => b.startsWith('Processing tenant: '));
    expect(blocks).toHaveLength(9);
    for (const block of blocks) {
      const slug = /^Processing tenant: (\S+)/.exec(block)![1]!;
      // Every tenant named in the block is this one: no line of another tenant slipped in.
      expect(new Set(block.match(/many-\d-\d+/g))).toEqual(new Set([slug]));
      expect(block).toMatch(
        failed.includes(slug)
          ? /❌ Billing failed for tenant \S+: no billing e-mail/
          : /• Payment link created: .+\n• Email sent to \S+$/,
      );
    }

    // Finish the two, so later tests find nothing unfinished.
    await test.db.pool.query(`UPDATE tenants SET billing_email = 'late@example.com' WHERE slug = ANY($1)`, [
      failed,
    ]);
    expect((await bill('2025-11-20')).result.exitCode).toBe(0);
    expect(inbox.messages).toHaveLength(9);
  });

  it('writes and sends nothing in a dry run', async () => {
    const tenant = await createTenant(test.db);
    await addUsage(test.db, tenant.id, '2025-11-06T08:00:00Z', 50_000, 0);
    const { result, output } = await bill('2025-11-06', { dryRun: true });
    expect(result.exitCode).toBe(0);
    expect(output).toContain('• Dry run: an invoice for');
    expect(output).toContain('• Total revenue: 1,000.00 Tomans');
    expect(await invoicesForDay(test.db.pool, '2025-11-06')).toEqual([]);
    expect(zibal.calls).toHaveLength(0);
    expect(inbox.messages).toHaveLength(0);
    await bill('2025-11-06'); // leave nothing unfinished for the next tests
  });

  const steps: BillingStep[] = [
    'invoice-created',
    'link-requested',
    'payment-requested',
    'link-created',
    'emailed',
  ];
  for (const [index, step] of steps.entries()) {
    it(`resumes after a crash at "${step}": every invoice completes once, nothing duplicated`, async () => {
      const day = `2025-12-${String(index + 1).padStart(2, '0')}`;
      const tenants = [await createTenant(test.db), await createTenant(test.db)];
      for (const t of tenants) await addUsage(test.db, t.id, `${day}T09:00:00Z`, 80_000, 0);

      let crashed = 0;
      await expect(
        bill(day, {
          onStep: (at) => {
            if (at === step && crashed++ === 0) throw new SimulatedCrash(`killed at ${step}`);
          },
        }),
      ).rejects.toThrow(SimulatedCrash);

      const rerun = await bill(day);
      expect(rerun.result.exitCode).toBe(0);
      const invoices = await invoicesForDay(test.db.pool, day);
      expect(invoices).toHaveLength(2);
      for (const invoice of invoices) {
        expect(invoice).toMatchObject({ status: 'emailed', amount: '1600.00' });
        expect(zibal.payments.get(invoice.zibalTrackId!)?.orderId).toBe(invoice.orderId);
      }
      // One payment at Zibal and one e-mail per tenant, whatever the crash point.
      expect([...zibal.payments.values()].map((p) => p.orderId).sort()).toEqual(
        invoices.map((i) => i.orderId).sort(),
      );
      expect(inbox.messages.map((m) => m.to[0]).sort()).toEqual(tenants.map((t) => t.email).sort());
      if (step === 'payment-requested')
        expect(rerun.output).toContain('Found the payment an earlier run requested');
    });
  }

  it('a crash while other tenants are in flight stops them at their next step; the re-run completes each once', async () => {
    const day = '2025-12-20';
    const tenants = [];
    for (let i = 0; i < 12; i++) tenants.push(await createTenant(test.db));
    for (const t of tenants) await addUsage(test.db, t.id, `${day}T09:00:00Z`, 80_000, 0);

    let steps = 0;
    let stepsAfterCrash = 0;
    let crashed = false;
    await expect(
      bill(day, {
        concurrency: 4,
        onStep: (at) => {
          steps++;
          if (crashed) stepsAfterCrash++;
          if (at === 'payment-requested' && steps > 10 && !crashed) {
            crashed = true;
            throw new SimulatedCrash('killed while others are in flight');
          }
        },
      }),
    ).rejects.toThrow(SimulatedCrash);
    // The tenants in flight finished at most the step they were in (one each), then stopped.
    expect(stepsAfterCrash).toBeLessThanOrEqual(3);

    const rerun = await bill(day);
    expect(rerun.result.exitCode).toBe(0);
    const invoices = await invoicesForDay(test.db.pool, day);
    expect(invoices).toHaveLength(12);
    for (const invoice of invoices) expect(invoice.status).toBe('emailed');
    const orders = [...zibal.payments.values()].map((p) => p.orderId).filter((o) => o.endsWith(day));
    expect(orders.sort()).toEqual(invoices.map((i) => i.orderId).sort());
    expect(inbox.messages.map((m) => m.to[0]).sort()).toEqual(tenants.map((t) => t.email).sort());
  });

  it('keeps the invoice when SMTP is down, names the tenant, and sends the e-mail on the next run', async () => {
    const tenant = await createTenant(test.db);
    await addUsage(test.db, tenant.id, '2025-11-07T08:00:00Z', 50_000, 0);
    inbox.down = true;
    const first = await bill('2025-11-07');
    expect(first.result.exitCode).toBe(1);
    expect(first.result.failures.map((f) => f.tenant)).toEqual([tenant.slug]);
    expect(first.output).toContain(`❌ Billing job completed with failures for: ${tenant.slug}`);
    const waiting = await invoiceOf('2025-11-07', tenant.slug);
    expect(waiting.status).toBe('link_created');
    expect(waiting.lastError).toMatch(/421|not available/i);

    inbox.down = false;
    const next = await bill('2025-11-08'); // the next day's run, without usage of its own
    expect(next.result.exitCode).toBe(0);
    expect(next.output).toContain(`Resuming invoice ${tenant.slug}-2025-11-07 (link_created)`);
    expect((await invoiceOf('2025-11-07', tenant.slug)).status).toBe('emailed');
    expect(inbox.messages).toHaveLength(1);
    expect(zibal.callsTo('request')).toHaveLength(1);
  });

  it('marks the invoice failed on a Zibal refusal, exits non-zero naming the tenant, and retries next run', async () => {
    const tenant = await createTenant(test.db);
    await addUsage(test.db, tenant.id, '2025-11-09T08:00:00Z', 50_000, 0);
    zibal.fault('request', { result: 103 });
    const first = await bill('2025-11-09');
    expect(first.result.exitCode).toBe(1);
    expect(first.output).toContain(
      `❌ Billing failed for tenant ${tenant.slug}: Zibal request refused with result 103`,
    );
    expect(await invoiceOf('2025-11-09', tenant.slug)).toMatchObject({
      status: 'failed',
      zibalTrackId: null,
    });

    const second = await bill('2025-11-10');
    expect(second.result.exitCode).toBe(0);
    expect(await invoiceOf('2025-11-09', tenant.slug)).toMatchObject({ status: 'emailed', lastError: null });
    expect(zibal.payments.size).toBe(1);
  });

  it('recovers a payment whose answer was lost in transit instead of requesting a second one', async () => {
    const tenant = await createTenant(test.db);
    await addUsage(test.db, tenant.id, '2025-11-11T08:00:00Z', 50_000, 0);
    zibal.fault('request', { loseAnswer: true });
    const { result } = await bill('2025-11-11');
    expect(result.exitCode).toBe(0);
    expect(zibal.payments.size).toBe(1);
    expect(zibal.callsTo('request')).toHaveLength(1);
    expect(zibal.callsTo('inquiry')[0]?.body).toMatchObject({ orderId: `${tenant.slug}-2025-11-11` });
    expect((await invoiceOf('2025-11-11', tenant.slug)).zibalTrackId).toBe([...zibal.payments.keys()][0]);
  });

  it('leaves the invoice pending and fails the tenant when Zibal does not answer in time', async () => {
    const tenant = await createTenant(test.db);
    await addUsage(test.db, tenant.id, '2025-11-12T08:00:00Z', 50_000, 0);
    zibal.fault('request', { hang: true, times: 2 });
    const first = await bill('2025-11-12');
    expect(first.result.exitCode).toBe(1);
    expect(first.output).toMatch(/no answer within 500 ms/);
    expect((await invoiceOf('2025-11-12', tenant.slug)).status).toBe('pending');
    const second = await bill('2025-11-13');
    expect(second.result.exitCode).toBe(0);
    // The hung requests may have created payments; the re-run asked by orderId and kept exactly one link.
    expect((await invoiceOf('2025-11-12', tenant.slug)).status).toBe('emailed');
    expect(inbox.messages).toHaveLength(1);
  });
});

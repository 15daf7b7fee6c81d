import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBillingCli } from '../../billing/cli.js';
import { invoicesForDay } from '../../billing/invoices.js';
import {
  addUsage,
  createTenant,
  type SmtpInbox,
  startSmtpInbox,
  startTestDatabase,
  type TestDatabase,
} from '../../billing/test/support.js';
import { type FakeZibal, startFakeZibal } from '../fakes/zibal.js';
import { freePort } from '../support/redis.js';

/**
 * Billing faults not covered in billing/test/: Prometheus down for the prometheus source, Zibal refusing
 * connections, and the billing process really killed (SIGKILL) while it waits for Zibal. After each, a re-run
 * leaves exactly one invoice, one payment and one e-mail per tenant, with the exact amount.
 */

let test: TestDatabase;
let zibal: FakeZibal;
let inbox: SmtpInbox;

beforeAll(async () => {
  [test, zibal, inbox] = await Promise.all([startTestDatabase(), startFakeZibal(), startSmtpInbox()]);
});
afterAll(async () => {
  await Promise.all([test?.close(), zibal?.close(), inbox?.close()]);
});

const env = (overrides: Record<string, string> = {}) => ({
  DATA_DIR: test.dataDir,
  DATABASE_URL: test.url,
  LOG_LEVEL: 'silent',
  PUBLIC_BASE_URL: 'https://docuchat.example.com',
  ZIBAL_MERCHANT: 'zibal',
  ZIBAL_BASE_URL: zibal.url,
  SMTP_URL: inbox.url,
  ...overrides,
});

async function billingCli(args: string[], overrides: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBillingCli(args, env(overrides), {
    print: (l) => out.push(l),
    printError: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err };
}

const mailsTo = (email: string) => inbox.messages.filter((m) => m.to.includes(email));

describe('billing under faults', () => {
  it('Prometheus down for the prometheus source: exit 1 with one line, no invoice written', async () => {
    const tenant = await createTenant(test.db);
    await addUsage(test.db, tenant.id, '2025-09-10T08:00:00Z', 10_000, 0);
    const port = await freePort();
    const run = await billingCli(['--date', '2025-09-10', '--source', 'prometheus'], {
      PROMETHEUS_URL: `http://127.0.0.1:${port}`,
    });
    expect(run.code).toBe(1);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(new RegExp(`Prometheus at http://127.0.0.1:${port} is unreachable`));
    expect(run.err[0]).not.toMatch(/\n\s+at /);
    expect(await invoicesForDay(test.db.pool, '2025-09-10')).toEqual([]);
    expect(zibal.callsTo('request')).toHaveLength(0);
  });

  it('Zibal refusing connections: the tenant is named, the invoice waits, and the next run completes it once', async () => {
    const tenant = await createTenant(test.db);
    await addUsage(test.db, tenant.id, '2025-09-11T08:00:00Z', 150_000, 0);
    const down = await billingCli(['--date', '2025-09-11'], {
      ZIBAL_BASE_URL: `http://127.0.0.1:${await freePort()}`,
    });
    expect(down.code).toBe(1);
    expect(down.err.join('\n')).toContain(tenant.slug);
    const [waiting] = await invoicesForDay(test.db.pool, '2025-09-11');
    expect(waiting).toMatchObject({
      tenantSlug: tenant.slug,
      amount: '3000.00',
      amountRials: 30_000,
      zibalTrackId: null,
    });
    expect(['pending', 'failed']).toContain(waiting!.status);
    expect(mailsTo(tenant.email)).toHaveLength(0);

    const next = await billingCli(['--date', '2025-09-12']);
    expect(next.code, next.out).toBe(0);
    const invoices = await invoicesForDay(test.db.pool, '2025-09-11');
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ status: 'emailed', amount: '3000.00' });
    expect([...zibal.payments.values()].filter((p) => p.orderId === invoices[0]!.orderId)).toHaveLength(1);
    expect(mailsTo(tenant.email)).toHaveLength(1);
  });

  it('the billing process killed (SIGKILL) while waiting for Zibal: the re-run makes one payment and one e-mail', async () => {
    const tenant = await createTenant(test.db);
    await addUsage(test.db, tenant.id, '2025-09-13T08:00:00Z', 50_000, 0);
    zibal.fault('request', { hang: true });
    const requestsBefore = zibal.callsTo('request').length;
    const child = spawn('npx', ['tsx', 'billing/main.ts', '--date', '2025-09-13'], {
      env: { ...process.env, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal ? -1 : _code)),
    );
    // Wait (bounded) until the job is inside its Zibal request, between "link requested" and "link created".
    for (let i = 0; i < 400 && zibal.callsTo('request').length === requestsBefore; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(zibal.callsTo('request').length, output).toBe(requestsBefore + 1);
    process.kill(-child.pid!, 'SIGKILL');
    expect(await exited).toBe(-1);
    const [killed] = await invoicesForDay(test.db.pool, '2025-09-13');
    expect(killed).toMatchObject({ status: 'pending', zibalTrackId: null, amount: '1000.00' });

    const rerun = await billingCli(['--date', '2025-09-13']);
    expect(rerun.code, rerun.out).toBe(0);
    const invoices = await invoicesForDay(test.db.pool, '2025-09-13');
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ status: 'emailed', amount: '1000.00', amountRials: 10_000 });
    expect(zibal.payments.get(invoices[0]!.zibalTrackId!)?.orderId).toBe(invoices[0]!.orderId);
    expect(mailsTo(tenant.email)).toHaveLength(1);
    // Billing the same day again changes nothing.
    const again = await billingCli(['--date', '2025-09-13']);
    expect(again.code).toBe(0);
    expect(mailsTo(tenant.email)).toHaveLength(1);
    expect(await invoicesForDay(test.db.pool, '2025-09-13')).toEqual(invoices);
  });
});

import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeZibal, startFakeZibal } from '../../test/fakes/zibal.js';
import { findInvoice, type Invoice, invoicesForDay } from '../invoices.js';
import { runBillingJob } from '../job.js';
import { createInvoiceMailer } from '../mail.js';
import { billingRoutes } from '../routes.js';
import { ZibalClient } from '../zibal.js';
import {
  addUsage,
  createTenant,
  startTestDatabase,
  type TestDatabase,
  type TestTenant,
  testConfig,
} from './support.js';

/**
 * The billing routes on a small Fastify instance that authenticates the way the server's auth plugin does
 * (`app.authenticate` sets `request.auth`), here from an `x-test-tenant` header instead of a JWT.
 */
let test: TestDatabase;
let zibal: FakeZibal;
let app: FastifyInstance;
let logs: string[];
let dayCounter = 0;

beforeAll(async () => {
  [test, zibal] = await Promise.all([startTestDatabase(), startFakeZibal()]);
  logs = [];
  app = Fastify({
    logger: { level: 'info', stream: { write: (line: string) => logs.push(line) } },
  });
  app.decorateRequest('auth', null as never);
  app.decorate('authenticate', async (request: FastifyRequest) => {
    const tenantId = request.headers['x-test-tenant'];
    if (typeof tenantId !== 'string') {
      throw Object.assign(new Error('Missing bearer token'), { statusCode: 401, code: 'unauthorized' });
    }
    const { rows } = await test.db.pool.query<{ slug: string }>('SELECT slug FROM tenants WHERE id = $1', [
      tenantId,
    ]);
    request.auth = {
      tenantId,
      tenantSlug: rows[0]?.slug ?? '',
      userId: tenantId,
      role: 'owner',
      email: 'owner@example.com',
      dailyTokenBudget: null,
    };
  });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    return reply
      .code(status)
      .send({ error: status === 401 ? 'unauthorized' : 'bad_request', message: error.message });
  });
  const config = testConfig(test, { ZIBAL_MERCHANT: 'zibal', ZIBAL_BASE_URL: zibal.url });
  await app.register(billingRoutes, { prefix: '/api/v1/billing', db: test.db, config });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await Promise.all([test?.close(), zibal?.close()]);
});
beforeEach(() => {
  logs.length = 0;
});

/** A tenant with one e-mailed invoice of 3,000.00 Tomans (30,000 Rials) waiting for payment. */
async function invoicedTenant(): Promise<{ tenant: TestTenant; invoice: Invoice }> {
  const day = `2026-01-${String(++dayCounter).padStart(2, '0')}`;
  const tenant = await createTenant(test.db);
  await addUsage(test.db, tenant.id, `${day}T10:00:00Z`, 100_000, 50_000, 'gpt-4o');
  await addUsage(test.db, tenant.id, `${day}T11:00:00Z`, 0, 0, 'gpt-4o-mini');
  const config = testConfig(test, { ZIBAL_MERCHANT: 'zibal', ZIBAL_BASE_URL: zibal.url });
  const result = await runBillingJob({
    db: test.db,
    config,
    day,
    zibal: new ZibalClient({ merchant: 'zibal', baseUrl: zibal.url }),
    mailer: createInvoiceMailer({ smtpUrl: undefined, from: config.MAIL_FROM, log: () => {} }),
    print: () => {},
  });
  expect(result.exitCode).toBe(0);
  const invoice = (await invoicesForDay(test.db.pool, day)).find((i) => i.tenantId === tenant.id)!;
  return { tenant, invoice };
}

const callback = (query: Record<string, string>) =>
  app.inject({ method: 'GET', url: `/api/v1/billing/callback?${new URLSearchParams(query)}` });

describe('payment callback', () => {
  it('marks the invoice paid only after Zibal verifies it, then redirects to the billing page', async () => {
    const { invoice } = await invoicedTenant();
    const trackId = invoice.zibalTrackId!;
    zibal.pay(trackId);
    const zibalRedirect = new URL(zibal.callbackUrl(trackId));
    const response = await app.inject({ method: 'GET', url: zibalRedirect.pathname + zibalRedirect.search });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('https://docuchat.example.com/billing?payment=paid');
    const paid = await findInvoice(test.db.pool, invoice.id);
    expect(paid).toMatchObject({ status: 'paid', refNumber: zibal.payments.get(trackId)?.refNumber });
    expect(paid?.paidAt).toBeInstanceOf(Date);
    expect(zibal.payments.get(trackId)?.status).toBe(1);
  });

  it('does not trust a forged success=1: no payment at Zibal → not paid', async () => {
    const { invoice } = await invoicedTenant();
    const response = await callback({
      trackId: invoice.zibalTrackId!,
      success: '1',
      status: '2',
      orderId: invoice.orderId,
    });
    expect(response.headers.location).toBe('https://docuchat.example.com/billing?payment=not-paid');
    expect((await findInvoice(test.db.pool, invoice.id))?.status).toBe('emailed');
  });

  it('refuses and logs a payment whose verified amount differs from the invoice', async () => {
    const { invoice } = await invoicedTenant();
    zibal.pay(invoice.zibalTrackId!, { amount: 1_000 });
    const response = await callback({
      trackId: invoice.zibalTrackId!,
      success: '1',
      orderId: invoice.orderId,
    });
    expect(response.headers.location).toBe('https://docuchat.example.com/billing?payment=mismatch');
    expect((await findInvoice(test.db.pool, invoice.id))?.status).toBe('emailed');
    expect(logs.join('')).toContain('verified payment does not match the invoice');
  });

  it("refuses a callback whose orderId is not the invoice's", async () => {
    const { invoice } = await invoicedTenant();
    zibal.pay(invoice.zibalTrackId!);
    const response = await callback({
      trackId: invoice.zibalTrackId!,
      success: '1',
      orderId: 'someone-else-2026-01-01',
    });
    expect(response.headers.location).toBe('https://docuchat.example.com/billing?payment=mismatch');
    expect((await findInvoice(test.db.pool, invoice.id))?.status).toBe('emailed');
  });

  it('credits a replayed callback once', async () => {
    const { invoice } = await invoicedTenant();
    zibal.pay(invoice.zibalTrackId!);
    const query = { trackId: invoice.zibalTrackId!, success: '1', status: '2', orderId: invoice.orderId };
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await callback(query)).headers.location);
    expect(outcomes).toEqual([
      'https://docuchat.example.com/billing?payment=paid',
      'https://docuchat.example.com/billing?payment=already-paid',
      'https://docuchat.example.com/billing?payment=already-paid',
    ]);
    expect(
      zibal.callsTo('verify').filter((c) => String(c.body.trackId) === invoice.zibalTrackId),
    ).toHaveLength(1);
  });

  it('credits a payment Zibal reports as already verified (201) once, with its inquiry state', async () => {
    const { invoice } = await invoicedTenant();
    zibal.pay(invoice.zibalTrackId!);
    // Someone (a lost earlier callback) verified it already; our record is still unpaid.
    await new ZibalClient({ merchant: 'zibal', baseUrl: zibal.url }).verify(invoice.zibalTrackId!);
    const response = await callback({
      trackId: invoice.zibalTrackId!,
      success: '1',
      orderId: invoice.orderId,
    });
    expect(response.headers.location).toBe('https://docuchat.example.com/billing?payment=paid');
    expect((await findInvoice(test.db.pool, invoice.id))?.status).toBe('paid');
  });

  it('refuses an unknown trackId and a malformed one', async () => {
    expect((await callback({ trackId: '123456', success: '1' })).headers.location).toBe(
      'https://docuchat.example.com/billing?payment=unknown',
    );
    const bad = await callback({ trackId: "1' OR 1=1", success: '1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  });
});

describe('tenant billing routes', () => {
  it("lists only the signed-in tenant's invoices, with status and pay link", async () => {
    const mine = await invoicedTenant();
    const theirs = await invoicedTenant();
    const response = await app.inject({
      method: 'GET',
      url: '/api/v1/billing/invoices',
      headers: { 'x-test-tenant': mine.tenant.id },
    });
    expect(response.statusCode).toBe(200);
    const { invoices } = response.json();
    expect(invoices).toEqual([
      expect.objectContaining({
        id: mine.invoice.id,
        periodStart: mine.invoice.periodStart,
        tokens: 150_000,
        amountTomans: '3000.00',
        status: 'emailed',
        payUrl: `${zibal.url}/start/${mine.invoice.zibalTrackId}`,
        paidAt: null,
      }),
    ]);
    expect(invoices.map((i: { id: string }) => i.id)).not.toContain(theirs.invoice.id);
  });

  it('reports usage by day (billing time zone) and model', async () => {
    const { tenant, invoice } = await invoicedTenant();
    const response = await app.inject({
      method: 'GET',
      url: `/api/v1/billing/usage?from=${invoice.periodStart}&to=${invoice.periodStart}`,
      headers: { 'x-test-tenant': tenant.id },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.timeZone).toBe('Asia/Tehran');
    expect(body.usage).toEqual([
      { day: invoice.periodStart, model: 'gpt-4o', inputTokens: 100_000, outputTokens: 50_000, requests: 1 },
      { day: invoice.periodStart, model: 'gpt-4o-mini', inputTokens: 0, outputTokens: 0, requests: 1 },
    ]);
  });

  it('requires authentication and validates the query', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/billing/invoices' })).statusCode).toBe(401);
    const bad = await app.inject({
      method: 'GET',
      url: '/api/v1/billing/usage?from=2026-02-01&to=2026-01-01',
      headers: { 'x-test-tenant': '00000000-0000-0000-0000-000000000000' },
    });
    expect(bad.statusCode).toBe(400);
  });
});

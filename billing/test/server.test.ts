import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app/server/app.js';
import { createCache } from '../../app/server/cache/index.js';
import { createServerMetrics } from '../../app/server/metrics.js';
import { type FakeZibal, startFakeZibal } from '../../test/fakes/zibal.js';
import { runBillingJob } from '../job.js';
import { createInvoiceMailer } from '../mail.js';
import { billingRoutes } from '../routes.js';
import { ZibalClient } from '../zibal.js';
import { addUsage, startTestDatabase, type TestDatabase, testConfig } from './support.js';

/**
 * The billing routes inside the real application (real JWT authentication, error handling, schemas), registered
 * the way the server registers later steps' routes: `extraRoutes` under `/api/v1`, here at `/api/v1/billing`.
 */
let test: TestDatabase;
let zibal: FakeZibal;
let app: FastifyInstance;

beforeAll(async () => {
  [test, zibal] = await Promise.all([startTestDatabase(), startFakeZibal()]);
  const config = testConfig(test, { ZIBAL_MERCHANT: 'zibal', ZIBAL_BASE_URL: zibal.url });
  const logger = pino({ level: 'silent' });
  app = await buildApp({
    config,
    db: test.db,
    cache: createCache(undefined, logger),
    metrics: createServerMetrics(),
    logger,
    jwtSecret: 'test-secret-that-is-long-enough-for-hs256-signing',
    llmHealth: () => 'ok',
    extraRoutes: async (api) => {
      await api.register(billingRoutes, { prefix: '/billing', db: test.db, config });
    },
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await Promise.all([test?.close(), zibal?.close()]);
});

async function signUp(email: string) {
  const password = 'correct horse battery';
  const reg = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password, full_name: 'Owner', tenant_name: `Team ${email}` },
  });
  expect(reg.statusCode).toBe(201);
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  return { tenantId: reg.json().tenant.id as string, token: login.json().access_token as string };
}

describe('billing in the real server', () => {
  it('shows the signed-in team its invoice, and the payment made through Zibal marks it paid', async () => {
    const owner = await signUp('owner@billing-e2e.example');
    await addUsage(test.db, owner.tenantId, '2025-10-05T09:00:00Z', 120_000, 30_000);
    const config = testConfig(test, { ZIBAL_MERCHANT: 'zibal', ZIBAL_BASE_URL: zibal.url });
    const lines: string[] = [];
    const run = await runBillingJob({
      db: test.db,
      config,
      day: '2025-10-05',
      zibal: new ZibalClient({ merchant: 'zibal', baseUrl: zibal.url }),
      mailer: createInvoiceMailer({ smtpUrl: undefined, from: config.MAIL_FROM, log: (l) => lines.push(l) }),
      print: (l) => lines.push(l),
    });
    expect(run.exitCode).toBe(0);
    // No billing_email on a fresh team: the owner gets the invoice.
    expect(lines.join('\n')).toContain('e-mail to owner@billing-e2e.example written here instead');

    const auth = { authorization: `Bearer ${owner.token}` };
    const listed = await app.inject({ method: 'GET', url: '/api/v1/billing/invoices', headers: auth });
    expect(listed.statusCode).toBe(200);
    const [invoice] = listed.json().invoices;
    expect(invoice).toMatchObject({
      periodStart: '2025-10-05',
      tokens: 150_000,
      amountTomans: '3000.00',
      status: 'emailed',
    });

    // The customer opens the pay link; Zibal redirects the browser to our callback.
    const page = await fetch(invoice.payUrl, { redirect: 'manual' });
    const back = new URL(page.headers.get('location')!);
    const callback = await app.inject({ method: 'GET', url: back.pathname + back.search });
    expect(callback.statusCode).toBe(302);
    expect(callback.headers.location).toBe('https://docuchat.example.com/billing?payment=paid');

    const after = (
      await app.inject({ method: 'GET', url: '/api/v1/billing/invoices', headers: auth })
    ).json();
    expect(after.invoices[0]).toMatchObject({ status: 'paid', payUrl: null, refNumber: expect.any(String) });

    const usage = await app.inject({
      method: 'GET',
      url: '/api/v1/billing/usage?from=2025-10-05&to=2025-10-05',
      headers: auth,
    });
    expect(usage.json().usage).toEqual([
      { day: '2025-10-05', model: 'gpt-4o', inputTokens: 120_000, outputTokens: 30_000, requests: 1 },
    ]);
  });

  it('refuses the tenant routes without a valid token, with a JSON error', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/billing/invoices' });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
    const other = await signUp('other@billing-e2e.example');
    const theirs = await app.inject({
      method: 'GET',
      url: '/api/v1/billing/invoices',
      headers: { authorization: `Bearer ${other.token}` },
    });
    expect(theirs.json().invoices).toEqual([]);
  });
});

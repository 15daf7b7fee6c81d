import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildWebApp } from '../../app/server/plugins/web.js';
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/openai.js';
import { ARTIFACTS, launchChromium } from '../support/browser.js';
import { type Account, startTestServer, type TestServer } from '../support/server.js';

/**
 * What the chat page shows when the models misbehave, in a real Chromium against the real server talking to the
 * fake OpenAI upstream: the fallback notice, the Stop button (the partial answer is kept, marked incomplete),
 * and the spent daily budget.
 */

const QUESTION = 'What does the premium plan cost per month?';

describe('chat page with a real model upstream', () => {
  let fake: FakeOpenAI;
  let server: TestServer;
  let account: Account;
  let browser: Browser;
  let page: Page;
  let webDir: string;

  const ask = async (question: string) => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    // Wait for the fresh conversation to render (its list empties) before typing, or a late re-render of the
    // page could replace the box we typed into.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="message-user"]').length === 0);
    const box = page.getByLabel('Your question');
    await box.fill(question);
    await box.press('Enter');
    await page.getByTestId('message-user').filter({ hasText: question }).first().waitFor({ timeout: 15_000 });
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    webDir = mkdtempSync(path.join(tmpdir(), 'docuchat-web-'));
    await buildWebApp(webDir);
    fake = await startFakeOpenAI();
    server = await startTestServer({
      WEB_DIST_DIR: webDir,
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'sk-test-not-a-real-key',
      // Generous: only the healthy model's first token waits on it, and a loaded CI machine is slow.
      LLM_TIMEOUT_MS: '20000',
      CIRCUIT_FAILURE_THRESHOLD: '1000',
    });
    account = await server.signUp({ tenant_name: 'Models Team' });
    const up = await server.upload(
      account.accessToken,
      'pricing.md',
      '# Pricing\n\nThe premium plan costs forty dollars per month and includes priority support.',
      'text/markdown',
    );
    expect((await server.waitForDocument(account.accessToken, up.body.document.id)).status).toBe('ready');
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    // Signed in as that account: the app keeps its session in localStorage.
    await page.goto(server.url);
    await page.evaluate(
      ([accessToken, refreshToken]) =>
        localStorage.setItem('docuchat.session', JSON.stringify({ accessToken, refreshToken })),
      [account.accessToken, account.refreshToken],
    );
    await page.goto(`${server.url}/chat`);
    await page.getByLabel('Your question').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await fake?.close();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  beforeEach(() => fake.reset());

  it('says when the backup model answered because the main one failed', async () => {
    fake.setBehavior('gpt-4o', { status: 500 });
    fake.setBehavior('gpt-4o-mini', {
      answer: 'The premium plan costs forty dollars per month [1].',
      tokensPerSecond: 4,
    });
    await ask(QUESTION);
    // The live notice shows while the answer streams (slowed down here so the stream lasts about two seconds);
    // afterwards the stored message carries its own label, checked after the reload below.
    await page
      .getByText('The main model (gpt-4o) was unavailable, so the backup model (gpt-4o-mini) answered.')
      .waitFor({ timeout: 30_000 });
    const answer = page.getByTestId('message-assistant').last();
    await answer.getByText('forty dollars').waitFor();
    await answer.getByRole('button', { name: 'Source 1: pricing.md' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, '20-chat-fallback.png'), fullPage: true });
    // Reloaded from the server, the stored answer still says which model answered.
    await page.reload();
    await page.getByText('Answered by the backup model gpt-4o-mini.').waitFor();
  });

  it('stops a streaming answer and keeps what arrived, marked incomplete', async () => {
    fake.setBehavior('*', {
      answer: `The premium plan costs forty dollars per month [1]. ${'It also includes priority support. '.repeat(40)}`,
      tokensPerSecond: 8,
    });
    await ask(QUESTION);
    const answer = page.getByTestId('message-assistant').last();
    await answer.getByText('premium plan').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByText('Stopped — the answer is incomplete.').waitFor();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, '21-chat-stopped.png'), fullPage: true });
    await page.reload();
    await page.getByText('Incomplete answer').waitFor({ timeout: 15_000 });
    const stored = await page.getByTestId('message-assistant').last().innerText();
    expect(stored).toContain('premium plan');
    expect(stored).not.toContain('priority support. It also includes priority support. '.repeat(30));
  });

  it('says clearly that the daily budget is spent, before any answer', async () => {
    await server.db.pool.query('UPDATE tenants SET daily_token_budget = 1 WHERE id = $1', [account.tenantId]);
    await ask(QUESTION);
    const alert = page.getByRole('alert').filter({ hasText: 'token budget' });
    await alert.waitFor();
    expect(await alert.innerText()).toContain('Chat is paused until tomorrow');
    await expect(page.getByTestId('message-assistant').count()).resolves.toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, '22-chat-budget.png'), fullPage: true });
  });

  it('lists invoices with period, tokens, Tomans, status and a Pay link to the payment page', async () => {
    const insert = `INSERT INTO tenant_invoice (tenant_id, period_start, period_end, period_from, period_to, source,
        tokens, price_per_1k_tomans, discount_percent, usage_amount, amount, amount_rials, status, order_id,
        zibal_track_id, payment_url, paid_at)
      VALUES ($1, $2::date, $2::date, $2::date, $2::date + 1, 'ledger', $3, 20, 0, $4, $4, $5, $6, $7, $8, $9, $10)`;
    await server.db.pool.query(insert, [
      account.tenantId,
      '2026-11-25',
      61_250,
      '1225.00',
      12_250,
      'emailed',
      'order-e2e-1',
      '9001',
      'https://gateway.zibal.ir/start/9001',
      null,
    ]);
    await server.db.pool.query(insert, [
      account.tenantId,
      '2026-11-24',
      5_000,
      '100.00',
      1_000,
      'paid',
      'order-e2e-2',
      '9002',
      'https://gateway.zibal.ir/start/9002',
      new Date('2026-11-24T10:00:00Z'),
    ]);
    await page.goto(`${server.url}/billing?payment=paid`);
    await page.getByText('Thank you — the payment was received.').waitFor();
    const unpaid = page.getByRole('row').filter({ hasText: '25 Nov 2026' });
    await unpaid.getByText('1,225 Tomans').waitFor();
    expect(await unpaid.innerText()).toContain('61,250');
    expect(await unpaid.innerText()).toContain('Awaiting payment');
    // The Jalali day is shown next to the Gregorian one: 4 Azar 1405.
    expect(await unpaid.innerText()).toContain('۴ آذر ۱۴۰۵');
    const pay = unpaid.getByRole('link', { name: /Pay the invoice/ });
    expect(await pay.getAttribute('href')).toBe('https://gateway.zibal.ir/start/9001');
    const paid = page.getByRole('row').filter({ hasText: '24 Nov 2026' });
    expect(await paid.innerText()).toContain('Paid');
    await expect(paid.getByRole('link').count()).resolves.toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, '23-billing-invoices.png'), fullPage: true });
  });
});

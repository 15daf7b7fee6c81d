import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { buildWebApp } from '../../app/server/plugins/web.js';
import { ARTIFACTS, launchChromium } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The end user's day in a real Chromium (Debian's, driven by playwright-core) against the real server on
 * embedded defaults (PGlite, local language provider): sign up, upload, watch ingestion, ask, open a citation,
 * switch to Persian, sign out. Screenshots of every page go to test-artifacts/web/ (git-ignored).
 */

const HANDBOOK = `# Operations handbook

## Backups

The nightly backup of the team archive runs at 02:00 and keeps fourteen daily copies on the backup volume.

## Releases

Releases go out on Tuesdays after the staging checks pass.
`;

// Text a reader may quote: it must appear as text, and none of it may run.
const HOSTILE = `# Widget embedding notes

The legacy widget embed snippet was <script>window.__pwned = 'script'</script> and must never run.

The legacy widget banner used <img src="x" onerror="window.__pwned = 'img'"> as its tracking pixel.
`;

describe('web app in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let webDir: string;
  const pageErrors: string[] = [];
  const dialogs: string[] = [];

  const shot = (name: string) =>
    page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    webDir = mkdtempSync(path.join(tmpdir(), 'docuchat-web-'));
    // Built into a private folder: the real bundle, without racing `npm start`'s build/web.
    await buildWebApp(webDir);
    server = await startTestServer({ WEB_DIST_DIR: webDir });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB' });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  beforeEach((context) => {
    // The page as it was when a step failed, to see why.
    onTestFailed(async () => {
      const name = context.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page
        ?.screenshot({ path: path.join(ARTIFACTS, `failed-${name}.png`), fullPage: true })
        .catch(() => {});
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  it('registers a new account with its team and lands on the documents page', async () => {
    await page.goto(server.url);
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    await shot('01-sign-in');
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Full name').fill('Sara Ahmadi');
    await page.getByLabel('Team name').fill('Ops Team');
    await page.getByLabel('E-mail').fill(`sara-${Date.now()}@example.com`);
    await page.getByLabel('Password').fill('correct horse battery');
    await shot('02-register');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/documents');
    await page.getByText('Ops Team').waitFor();
  });

  it('uploads Markdown files and shows the progress of each until it is ready', {
    timeout: 180_000,
  }, async () => {
    const uploads = page.getByTestId('upload');
    // One after the other: each file's bar ends on the ready badge (upload, then ingestion from the events
    // stream), and the list shows it ready with its pages and passages.
    for (const [name, text] of [
      ['handbook.md', HANDBOOK],
      ['widget-notes.txt', HOSTILE],
    ] as const) {
      await page
        .getByLabel('Choose files')
        .setInputFiles([
          {
            name,
            mimeType: name.endsWith('.md') ? 'text/markdown' : 'text/plain',
            buffer: Buffer.from(text),
          },
        ]);
      const row = page.getByTestId('document-row').filter({ hasText: name });
      // The upload's bar, then its row in the table with the ingestion progress, until it is ready there.
      await uploads.filter({ hasText: name }).getByRole('progressbar').or(row).first().waitFor();
      await row
        .and(page.locator('[data-status="ready"], [data-status="failed"]'))
        .waitFor({ timeout: 150_000 });
      await expect(row.getAttribute('data-status')).resolves.toBe('ready');
    }
    // Finished uploads are rows of the table only, not cards above it as well.
    await expect(uploads.count()).resolves.toBe(0);
    const row = page.getByTestId('document-row').filter({ hasText: 'handbook.md' });
    await expect(row.getByText('Ready').isVisible()).resolves.toBe(true);
    await shot('03-documents');
  });

  it('says in words why an unsupported file was refused', async () => {
    await page.getByLabel('Choose files').setInputFiles([
      {
        name: 'photo.png',
        mimeType: 'image/png',
        buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]),
      },
    ]);
    const failed = page.getByTestId('upload').filter({ hasText: 'photo.png' });
    await failed.getByRole('alert').waitFor();
    const text = await failed.getByRole('alert').innerText();
    expect(text).toContain('This kind of file is not supported.');
    expect(text).toContain('not a supported document');
  });

  it('streams an answer whose citation names the uploaded file and opens its source', async () => {
    await page.getByRole('link', { name: 'Chat', exact: true }).click();
    const box = page.getByLabel('Your question');
    await box.fill('When does the nightly backup run');
    await box.press('Shift+Enter');
    await box.pressSequentially('and how many copies does it keep?');
    expect(await box.inputValue()).toContain('\n');
    await box.press('Enter');
    const answer = page.getByTestId('message-assistant').last();
    await answer.getByText('02:00').waitFor({ timeout: 60_000 });
    // The Stop button is back to Send once the stream is done.
    await page.getByRole('button', { name: 'Send' }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/chat\/[0-9a-f-]{36}$/);
    const chip = answer.getByRole('button', { name: /^Source \d+: handbook\.md$/ }).first();
    await chip.waitFor();
    await shot('04-chat');
    await chip.click();
    const panel = page.getByRole('dialog');
    await expect(panel.getByTestId('citation-document').innerText()).resolves.toBe('handbook.md');
    await expect(panel.getByTestId('citation-snippet').innerText()).resolves.toContain(
      'fourteen daily copies',
    );
    await shot('05-citation');
    await panel.getByRole('button', { name: 'Close' }).click();
    await expect(panel.count()).resolves.toBe(0);
    // The conversation is listed and reloads from the server with its citations.
    await page.reload();
    await page
      .getByTestId('message-assistant')
      .getByRole('button', { name: /handbook\.md/ })
      .first()
      .waitFor();
  });

  it('shows <script> and <img onerror> from a document as text and runs none of it', async () => {
    await page.getByRole('button', { name: 'New conversation' }).click();
    const box = page.getByLabel('Your question');
    await box.fill('What was the legacy widget embed snippet and tracking pixel?');
    await box.press('Enter');
    const answer = page.getByTestId('message-assistant').last();
    await answer.getByText('window.__pwned', { exact: false }).first().waitFor({ timeout: 60_000 });
    const text = await answer.innerText();
    expect(text).toContain("<script>window.__pwned = 'script'</script>");
    // No element was made from the document's markup, anywhere on the page.
    await expect(page.locator('main script, main img').count()).resolves.toBe(0);
    const chip = answer.getByRole('button', { name: /widget-notes\.txt/ }).first();
    await chip.click();
    await expect(page.getByTestId('citation-snippet').innerText()).resolves.toContain(
      '<img src="x" onerror=',
    );
    await shot('06-hostile-document');
    await page.getByRole('button', { name: 'Close' }).click();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
  });

  it('shows usage and an empty invoice list on the billing page', async () => {
    await page.getByRole('link', { name: 'Usage & billing' }).click();
    await page.getByRole('heading', { name: 'Usage & billing' }).waitFor();
    await page.getByText(/No invoices yet|not available/).waitFor();
    const today = await page.getByTestId('tokens-today').innerText();
    expect(Number(today.replace(/[^0-9]/g, ''))).toBeGreaterThan(0);
    await shot('07-billing');
  });

  it('switches to Persian: right-to-left, Persian labels and digits, both calendars', async () => {
    await page.getByRole('button', { name: /Switch language/ }).click();
    await expect(page.evaluate(() => document.documentElement.dir)).resolves.toBe('rtl');
    await expect(page.evaluate(() => document.documentElement.lang)).resolves.toBe('fa');
    await page.getByRole('heading', { name: 'مصرف و صورتحساب' }).waitFor();
    expect(await page.getByTestId('tokens-today').innerText()).toMatch(/^[۰-۹٬]+$/);
    await shot('08-billing-fa');
    await page.getByRole('link', { name: 'اسناد', exact: true }).click();
    const added = page.getByTestId('document-row').first().locator('time');
    const dates = await added.innerText();
    // Jalali first (Persian digits), then Gregorian.
    expect(dates).toMatch(/[۰-۹]/);
    expect(dates).toMatch(/20\d\d/);
    // Mirrored: the navigation sits to the right of the brand.
    const brand = await page.getByRole('link', { name: 'داکیوچت' }).boundingBox();
    const nav = await page.getByRole('navigation', { name: 'منوی اصلی' }).boundingBox();
    expect(brand!.x).toBeGreaterThan(nav!.x);
    await shot('09-documents-fa');
    await page.getByRole('link', { name: 'گفتگو', exact: true }).click();
    await page.getByLabel('پرسش شما').waitFor();
    await shot('10-chat-fa');
  });

  it('fits a phone-width screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'اسناد', exact: true }).click();
    await page.getByTestId('document-row').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await shot('11-documents-phone-fa');
    await page.getByRole('button', { name: /تغییر زبان/ }).click();
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('deletes a document only after confirmation', async () => {
    await page.getByRole('link', { name: 'Documents', exact: true }).click();
    const rows = page.getByTestId('document-row');
    await rows.first().waitFor();
    const before = await rows.count();
    await page.getByRole('button', { name: 'Delete widget-notes.txt' }).click();
    // Asking is not deleting: cancel keeps it.
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(rows.count()).resolves.toBe(before);
    await page.getByRole('button', { name: 'Delete widget-notes.txt' }).click();
    await page
      .getByRole('alertdialog', { name: /widget-notes\.txt/ })
      .getByRole('button', { name: 'Delete' })
      .click();
    await rows.filter({ hasText: 'widget-notes.txt' }).waitFor({ state: 'detached' });
    await expect(rows.count()).resolves.toBe(before - 1);
  });

  it('signs out: back to the sign-in page, and the session is gone after a reload', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('docuchat.session'))).toBeNull();
    await shot('12-signed-out');
    expect(pageErrors).toEqual([]);
  });
});

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { buildWebApp } from '../../app/server/plugins/web.js';
import { ARTIFACTS, launchChromium } from '../support/browser.js';
import { type Account, startTestServer, type TestServer } from '../support/server.js';

/**
 * Issue 21 in a real Chromium against the real server (embedded database, offline provider): text direction per
 * block, answer controls, versions, feedback, conversation rename and search, source previews and the document
 * view, and the polish (upload limit, password rule, confirmations, favicon, dark mode), in English and Persian
 * and at phone width. Screenshots go to test-artifacts/web/ (git-ignored).
 */

const SETUP = `# Widget setup

## Steps

- Install the widget package with the npm install command.
- Run the widget server with the start command and the port flag.

The \`config.json\` file holds the widget options for every team.

## Backups

The nightly backup of the widget archive runs at 02:00 and keeps fourteen daily copies.
`;

const PINO = `# Pino

Pino is a very low overhead logger for Node.js applications.

Pino writes every log line as one JSON object.
`;

const UPLOAD_LIMIT = 64 * 1024;

describe('answers, conversations and sources in a real browser', () => {
  let server: TestServer;
  let owner: Account;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let webDir: string;
  const pageErrors: string[] = [];
  const notFound: string[] = [];

  const shot = (name: string) =>
    page.screenshot({ path: path.join(ARTIFACTS, `i21-${name}.png`), fullPage: true });

  const setLanguage = async (lang: 'en' | 'fa') => {
    if ((await page.evaluate(() => document.documentElement.lang)) !== lang)
      await page.getByRole('button', { name: /Switch language|تغییر زبان/ }).click();
  };

  /** Asks in a new conversation and waits for the whole answer; returns the stored answer's element. */
  const ask = async (question: string) => {
    await page.goto(`${server.url}/chat`);
    const box = page.locator('.composer textarea');
    await box.fill(question);
    await box.press('Enter');
    return storedAnswer();
  };

  /** The last answer once it is stored (the streaming copy has no id) and shown with its controls. */
  const storedAnswer = async () => {
    await page.waitForFunction(
      () =>
        /\/chat\/[0-9a-f-]{36}/.test(location.pathname) &&
        document.querySelector('.composer button[type="submit"]') !== null &&
        document.querySelector('[data-testid="message-assistant"]:not([data-message-id])') === null &&
        document.querySelector('[data-testid="message-assistant"][data-message-id] .message-actions') !==
          null,
      undefined,
      { timeout: 60_000 },
    );
    const id = await page.getByTestId('message-assistant').last().getAttribute('data-message-id');
    return page.locator(`[data-message-id="${id}"]`);
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    webDir = mkdtempSync(path.join(tmpdir(), 'docuchat-web-'));
    await buildWebApp(webDir);
    server = await startTestServer({ WEB_DIST_DIR: webDir, MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) });
    owner = await server.signUp({ tenant_name: 'Widget Team' });
    for (const [name, text] of [
      ['setup.md', SETUP],
      ['pino.md', PINO],
    ]) {
      const up = await server.upload(owner.accessToken, name!, text!, 'text/markdown');
      expect((await server.waitForDocument(owner.accessToken, up.body.document.id)).status).toBe('ready');
    }
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('response', (response) => {
      if (response.status() === 404) notFound.push(response.url());
    });
    await page.goto(server.url);
    await page.evaluate(
      ([accessToken, refreshToken]) => {
        localStorage.setItem('docuchat.session', JSON.stringify({ accessToken, refreshToken }));
        localStorage.setItem('docuchat.lang', 'en');
      },
      [owner.accessToken, owner.refreshToken],
    );
  });

  beforeEach((ctx) => {
    onTestFailed(async () => {
      const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page
        ?.screenshot({ path: path.join(ARTIFACTS, `failed-i21-${name}.png`), fullPage: true })
        .catch(() => {});
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (webDir) rmSync(webDir, { recursive: true, force: true });
  });

  it('a Persian answer quoting English sentences keeps their punctuation at their end; code stays LTR and monospace', async () => {
    await page.goto(`${server.url}/chat`);
    await setLanguage('fa');
    // The empty box and its placeholder follow the page.
    const box = page.locator('.composer textarea');
    await expect(box.evaluate((el) => getComputedStyle(el).direction)).resolves.toBe('rtl');
    const answer = await ask('Pino logger چیست؟');
    // The offline answer quotes the English sentence as a block of its own (its lead paragraph or a list item).
    const english = answer.locator('p, li').filter({ hasText: 'Pino is a very low overhead logger' }).first();
    await english.waitFor();
    await expect(english.evaluate((el) => getComputedStyle(el).direction)).resolves.toBe('ltr');
    // The sentence's full stop is drawn at its end (right of its first letter), not jumped to the left.
    const [firstX, stopX] = await english.evaluate((block) => {
      const text = [...block.childNodes].find(
        (n) => n.nodeType === Node.TEXT_NODE && n.textContent!.includes('.'),
      )!;
      const rect = (from: number) => {
        const range = document.createRange();
        range.setStart(text, from);
        range.setEnd(text, from + 1);
        return range.getBoundingClientRect().x;
      };
      const value = text.textContent!;
      return [rect(value.indexOf('P')), rect(value.lastIndexOf('.'))];
    });
    expect(stopX).toBeGreaterThan(firstX);
    // ... inside a page that reads right to left.
    await expect(page.evaluate(() => getComputedStyle(document.body).direction)).resolves.toBe('rtl');
    await shot('01-mixed-direction-fa');

    // Inline code in a Persian page: left to right, monospace. Ask about the config file.
    const code = await ask('فایل config.json چه چیزی نگه می‌دارد؟ widget options');
    const inline = code.locator('code').first();
    await inline.waitFor();
    await expect(inline.evaluate((el) => getComputedStyle(el).fontFamily)).resolves.toMatch(/mono/i);
    await expect(inline.evaluate((el) => getComputedStyle(el).direction)).resolves.toBe('ltr');
  });

  it('renders a quoted list item as one bullet, never an empty one with the item nested under it', async () => {
    await setLanguage('en');
    const answer = await ask('How do I install the widget package and run the widget server?');
    await answer.getByText('Install the widget package').waitFor();
    const empty = await answer.evaluate(
      (el) => [...el.querySelectorAll('li')].filter((li) => li.firstElementChild?.matches('ul, ol')).length,
    );
    expect(empty).toBe(0);
    await expect(answer.locator('li li').count()).resolves.toBe(0);
  });

  it('copies the answer as Markdown with its sources', async () => {
    const answer = await ask('When does the nightly backup of the widget archive run?');
    await answer.getByRole('button', { name: 'Copy the answer as Markdown' }).click();
    await answer.locator('.icon-button-text', { hasText: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const id = await answer.getAttribute('data-message-id');
    const stored = await server.api(
      'GET',
      `/api/v1/conversations/${new URL(page.url()).pathname.split('/')[2]}`,
      {
        token: owner.accessToken,
      },
    );
    const content = stored.body.messages.find((m: any) => m.id === id).content as string;
    expect(copied.startsWith(content.trimEnd())).toBe(true);
    expect(copied).toMatch(/- \[\d\] setup\.md, Widget setup › Backups, Page 1/);
  });

  it('regenerates an answer and keeps both versions to switch between', async () => {
    const answer = await ask('How many daily copies does the backup keep?');
    const first = await answer.getAttribute('data-message-id');
    await answer.getByRole('button', { name: /Ask again for a new answer/ }).click();
    await expect
      .poll(() => page.getByTestId('message-assistant').last().getAttribute('data-message-id'), {
        timeout: 30_000,
      })
      .not.toBe(first);
    const second = await (await storedAnswer()).getAttribute('data-message-id');
    expect(second).not.toBe(first);
    const label = page.getByTestId('version-label').first();
    await expect(label.innerText()).resolves.toBe('2 / 2');
    await page.getByRole('button', { name: 'Previous version' }).first().click();
    await expect(label.innerText()).resolves.toBe('1 / 2');
    await expect(page.getByTestId('message-assistant').last().getAttribute('data-message-id')).resolves.toBe(
      first,
    );
    await shot('02-versions');
    await page.getByRole('button', { name: 'Next version' }).first().click();
    await expect(page.getByTestId('message-assistant').last().getAttribute('data-message-id')).resolves.toBe(
      second,
    );
  });

  it('edits a question and sends it again as a new version', async () => {
    await ask('When does the nightly backup run?');
    const question = page.getByTestId('message-user').last();
    await question.getByRole('button', { name: 'Edit the question and ask again' }).click();
    const editor = question.locator('.question-editor textarea');
    await editor.fill('How many daily copies does the backup keep?');
    await editor.press('Enter');
    await page
      .getByTestId('message-user')
      .last()
      .getByText('How many daily copies')
      .waitFor({ timeout: 30_000 });
    await page
      .getByTestId('message-assistant')
      .last()
      .getByText('fourteen')
      .first()
      .waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('version-label').first().innerText()).resolves.toBe('2 / 2');
    await page.getByRole('button', { name: 'Previous version' }).first().click();
    await page.getByTestId('message-user').last().getByText('When does the nightly backup run?').waitFor();
  });

  it('takes a thumbs down with a comment, which the team owner reads on the feedback page', async () => {
    const answer = await ask('What does the config.json file hold?');
    await answer.getByRole('button', { name: 'Bad answer' }).click();
    await expect
      .poll(() => answer.getByRole('button', { name: 'Bad answer' }).getAttribute('aria-pressed'))
      .toBe('true');
    await answer.getByLabel('What was good or wrong? (optional)').fill('It should name the options.');
    await answer.getByRole('button', { name: 'Send', exact: true }).click();
    await answer.getByText('Thank you for the feedback.').waitFor();
    await page.getByRole('link', { name: 'Feedback', exact: true }).click();
    const item = page.getByTestId('feedback-item').filter({ hasText: 'It should name the options.' });
    await item.waitFor();
    await expect(item.innerText()).resolves.toContain('What does the config.json file hold?');
    await shot('03-feedback-page');
    await setLanguage('fa');
    await page.getByRole('heading', { name: 'بازخورد پاسخ‌ها' }).waitFor();
    await expect(page.getByTestId('feedback-totals').innerText()).resolves.toMatch(/[۰-۹]/);
    await shot('04-feedback-page-fa');
    await setLanguage('en');
  });

  it('renames a conversation in place, and a search finds it by a word of its answer with the match marked', async () => {
    await ask('When does the nightly backup of the widget archive run?');
    const item = page.locator('.conversations li.current');
    await item.getByRole('button', { name: /^Rename conversation/ }).click();
    const title = item.getByLabel('Conversation title');
    await title.fill('Archive schedule');
    await title.press('Enter');
    await page.locator('.conversations li.current').getByText('Archive schedule').waitFor();

    await page.getByRole('searchbox', { name: 'Search conversations' }).fill('fourteen');
    const result = page.getByTestId('search-result').filter({ hasText: 'Archive schedule' });
    await result.waitFor();
    await expect(result.locator('mark').first().innerText()).resolves.toBe('fourteen');
    await shot('05-search');
    await page.getByRole('searchbox', { name: 'Search conversations' }).fill('');
    await page.getByTestId('search-result').first().waitFor({ state: 'detached' });
  });

  it('shows the passage as Markdown with the quoted sentence marked, and opens it in the document view', async () => {
    const answer = await ask('When does the nightly backup of the widget archive run?');
    await answer
      .getByRole('button', { name: /^Source \d+: setup\.md$/ })
      .first()
      .click();
    const panel = page.getByRole('dialog');
    const mark = panel.locator('mark').first();
    await mark.waitFor();
    await expect(mark.innerText()).resolves.toContain('runs at 02:00');
    // Markdown, not its source.
    await expect(panel.innerText()).resolves.not.toContain('## ');
    await shot('06-source-panel');
    await panel.getByRole('link', { name: 'Open in the document' }).click();
    await page.getByRole('heading', { name: 'setup.md' }).waitFor();
    await page.getByRole('heading', { name: 'Backups' }).waitFor();
    const cited = page.getByTestId('cited-block');
    await expect(cited.locator('mark').first().innerText()).resolves.toContain('runs at 02:00');
    await shot('07-document-view');
    // The table's document name opens the same view.
    await page.getByRole('link', { name: 'All documents' }).click();
    await page.getByRole('link', { name: 'Open pino.md' }).click();
    await page.getByRole('heading', { name: 'pino.md' }).waitFor();
    await page.getByText('very low overhead logger').waitFor();
  });

  it('states the upload limit from the server and refuses a larger file without sending it', async () => {
    await page.goto(`${server.url}/documents`);
    await expect(page.getByTestId('upload-limit').innerText()).resolves.toBe('Up to 64 KB per file.');
    const posts: string[] = [];
    const onRequest = (request: { method(): string; url(): string }) => {
      if (request.method() === 'POST' && request.url().endsWith('/api/v1/documents'))
        posts.push(request.url());
    };
    page.on('request', onRequest);
    await page
      .getByLabel('Choose files')
      .setInputFiles([
        { name: 'big.md', mimeType: 'text/markdown', buffer: Buffer.alloc(UPLOAD_LIMIT + 1, 'a') },
      ]);
    const failed = page.getByTestId('upload').filter({ hasText: 'big.md' });
    await expect(failed.getByRole('alert').innerText()).resolves.toContain(
      'the limit is 64 KB. It was not sent.',
    );
    page.off('request', onRequest);
    expect(posts).toEqual([]);
    // A file that fits goes into the table and leaves no card behind.
    await page.getByLabel('Choose files').setInputFiles([
      {
        name: 'small.md',
        mimeType: 'text/markdown',
        buffer: Buffer.from('# Small\n\nA small note about the widget.\n'),
      },
    ]);
    await page
      .getByTestId('document-row')
      .filter({ hasText: 'small.md' })
      .and(page.locator('[data-status="ready"]'))
      .waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('upload').filter({ hasText: 'small.md' }).count()).resolves.toBe(0);
    await setLanguage('fa');
    await expect(page.getByTestId('upload-limit').innerText()).resolves.toMatch(/[۰-۹]/);
    await shot('08-documents-fa');
    await setLanguage('en');
  });

  it('asks for confirmation above the page: the row does not move while it is open', async () => {
    await page.goto(`${server.url}/documents`);
    const row = page.getByTestId('document-row').filter({ hasText: 'small.md' });
    const before = await row.boundingBox();
    const listItem = page.locator('.conversations li').first();
    await row.getByRole('button', { name: 'Delete small.md' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    expect(await row.boundingBox()).toEqual(before);
    await shot('09-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog.count()).resolves.toBe(0);
    await expect(row.count()).resolves.toBe(1);

    await page.goto(`${server.url}/chat`);
    const item = listItem;
    await item.waitFor();
    const itemBefore = await item.boundingBox();
    await item.getByRole('button', { name: /^Delete conversation/ }).click();
    await page.getByRole('alertdialog').waitFor();
    expect(await item.boundingBox()).toEqual(itemBefore);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('alertdialog').count()).resolves.toBe(0);
  });

  it('follows the dark system setting, and the theme button overrides it', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${server.url}/chat`);
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const luminance = async () => {
      const [r, g, b] = (await background()).match(/\d+/g)!.map(Number);
      return (r! + g! + b!) / 3;
    };
    expect(await luminance()).toBeLessThan(60);
    await shot('10-dark');
    await page.getByRole('button', { name: /^Theme:/ }).click(); // system → light
    expect(await luminance()).toBeGreaterThan(200);
    await page.getByRole('button', { name: /^Theme:/ }).click(); // light → dark
    expect(await luminance()).toBeLessThan(60);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await luminance()).toBeLessThan(60);
    await page.goto(`${server.url}/settings`);
    await page.getByLabel('As the system').check();
    expect(await luminance()).toBeGreaterThan(200);
    await shot('11-settings');
  });

  it('fits a phone in both languages, with the answer controls and the source sheet', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const lang of ['en', 'fa'] as const) {
      await page.goto(`${server.url}/chat`);
      await setLanguage(lang);
      const answer = await ask(lang === 'fa' ? 'Pino logger چیست؟' : 'When does the nightly backup run?');
      await answer.locator('.message-actions button').first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      await shot(`12-chat-phone-${lang}`);
      await answer.locator('button.cite').first().click();
      await page.getByRole('dialog').locator('.citation-snippet').waitFor();
      await shot(`13-source-phone-${lang}`);
      await page
        .getByRole('dialog')
        .getByRole('button', { name: /Close|بستن/ })
        .click();
      await page.goto(`${server.url}/documents`);
      await page.getByTestId('document-row').first().waitFor();
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(1);
      await shot(`14-documents-phone-${lang}`);
    }
    await setLanguage('en');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('shows the password rule before the first try, in words, and has a favicon', async () => {
    const fresh = await context.browser()!.newContext({ viewport: { width: 1280, height: 860 } });
    const signUp = await fresh.newPage();
    const missing: string[] = [];
    signUp.on('response', (r) => {
      if (r.status() === 404) missing.push(r.url());
    });
    await signUp.goto(server.url);
    await signUp.getByRole('button', { name: 'Create an account' }).click();
    const rule = signUp.getByTestId('password-rule');
    await expect(rule.innerText()).resolves.toContain('Use at least 10 characters.');
    await signUp.getByLabel('Full name').fill('Short Password');
    await signUp.getByLabel('E-mail').fill(`short-${Date.now()}@example.com`);
    await signUp.getByLabel('Password').fill('short');
    await signUp.getByRole('button', { name: 'Create account' }).click();
    await expect(signUp.getByRole('alert').innerText()).resolves.toContain(
      'The password needs at least 10 characters (it has 5).',
    );
    await signUp.getByLabel('Password').fill('long enough password');
    await expect(rule.getAttribute('class')).resolves.toContain('rule-met');
    await signUp.screenshot({ path: path.join(ARTIFACTS, 'i21-15-register.png'), fullPage: true });
    const icon = await signUp.evaluate(
      () => document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href,
    );
    expect((await fetch(icon!)).status).toBe(200);
    expect((await fetch(`${server.url}/favicon.ico`)).status).toBe(200);
    expect(missing).toEqual([]);
    await fresh.close();
    expect(notFound.filter((u) => !u.includes('/api/'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

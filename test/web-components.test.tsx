// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../app/web/src/api/errors.js';
import { readSse } from '../app/web/src/api/sse.js';
import type { Citation } from '../app/web/src/api/types.js';
import { summarizeUsage } from '../app/web/src/billing/usage-summary.js';
import { AnswerMarkdown, linkCitations } from '../app/web/src/chat/AnswerMarkdown.js';
import { Composer } from '../app/web/src/chat/Composer.js';
import { ingestionFraction } from '../app/web/src/documents/ingestion-progress.js';
import { formatDualDay, formatNumber } from '../app/web/src/i18n/format.js';
import { I18nProvider } from '../app/web/src/i18n/i18n.js';
import { ConfirmButton } from '../app/web/src/layout/ConfirmButton.js';
import { ErrorMessage } from '../app/web/src/layout/ErrorMessage.js';
import { LanguageSwitch } from '../app/web/src/layout/LanguageSwitch.js';

afterEach(cleanup);

const citation = (n: number, name: string): Citation => ({
  n,
  document_id: `doc-${n}`,
  document_name: name,
  chunk_id: `chunk-${n}`,
  page: 3,
  page_end: null,
  heading_path: ['Backups'],
  snippet: 'The nightly backup runs at 02:00.',
});

const inEnglish = (ui: React.ReactNode) => render(<I18nProvider lang="en">{ui}</I18nProvider>);

describe('answer Markdown', () => {
  it('shows raw HTML from an answer as text and creates no element from it', () => {
    const { container } = inEnglish(
      <AnswerMarkdown
        text={
          'Quoted: <script>window.__x = 1</script>\n\n<img src="x" onerror="window.__x = 2"> and **bold**'
        }
        citations={[]}
        onCite={() => {}}
      />,
    );
    expect(container.querySelector('script, img')).toBeNull();
    expect(container.textContent).toContain('<script>window.__x = 1</script>');
    expect(container.textContent).toContain('<img src="x" onerror="window.__x = 2">');
    expect(container.querySelector('strong')?.textContent).toBe('bold');
  });

  it('turns [n] into a chip naming the source, which opens that citation', () => {
    const onCite = vi.fn();
    const sources = [citation(1, 'handbook.md'), citation(2, 'policy.pdf')];
    inEnglish(
      <AnswerMarkdown
        text="Runs at 02:00 [1]. Kept 14 days [2]. Unknown [7]."
        citations={sources}
        onCite={onCite}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Source 2: policy.pdf' }));
    expect(onCite).toHaveBeenCalledWith(sources[1]);
    // A marker without a matching source stays plain text, never a dead button.
    expect(screen.queryByRole('button', { name: /Source 7/ })).toBeNull();
    expect(screen.getByText('[7]')).toBeTruthy();
  });

  it('leaves real links and reference definitions alone', () => {
    expect(linkCitations('see [1](https://example.com) and [2]')).toBe(
      'see [1](https://example.com) and [2](#cite-2)',
    );
  });

  it('does not render javascript: links as clickable script', () => {
    const { container } = inEnglish(
      <AnswerMarkdown text="[click](javascript:alert(1))" citations={[]} onCite={() => {}} />,
    );
    expect(container.querySelector('a')?.getAttribute('href') ?? '').not.toContain('javascript');
  });
});

describe('message box', () => {
  it('sends on Enter and adds a line on Shift+Enter', () => {
    const onSend = vi.fn();
    inEnglish(<Composer streaming={false} onSend={onSend} onStop={() => {}} />);
    const box = screen.getByLabelText('Your question');
    fireEvent.change(box, { target: { value: 'first line' } });
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('first line');
    expect((box as HTMLTextAreaElement).value).toBe('');
  });

  it('offers Stop instead of Send while an answer streams', () => {
    const onStop = vi.fn();
    inEnglish(<Composer streaming onSend={() => {}} onStop={onStop} />);
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(onStop).toHaveBeenCalled();
  });
});

describe('destructive actions', () => {
  it('deletes only after the confirmation, and cancel keeps it', () => {
    const onConfirm = vi.fn();
    inEnglish(
      <ConfirmButton
        label="Delete"
        accessibleLabel="Delete a.md"
        question="Delete a.md?"
        onConfirm={onConfirm}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Delete a.md' }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onConfirm).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Delete a.md' }));
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });
});

describe('upload errors in words', () => {
  it.each([
    [413, 'payload_too_large', 'This file is too large.'],
    [415, 'unsupported_media_type', 'This kind of file is not supported.'],
    [422, 'unprocessable_document', 'This file could not be read.'],
  ])('HTTP %i says what went wrong and why', (status, code, words) => {
    inEnglish(<ErrorMessage error={new ApiError(status, code, 'Server reason here')} />);
    expect(screen.getByRole('alert').textContent).toBe(`${words} Server reason here`);
  });
});

describe('language', () => {
  it('Persian sets dir="rtl" and lang="fa" on the page, English sets them back', () => {
    render(
      <I18nProvider lang="en">
        <LanguageSwitch />
      </I18nProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: /Switch language/ }));
    expect(document.documentElement.dir).toBe('rtl');
    expect(document.documentElement.lang).toBe('fa');
    fireEvent.click(screen.getByRole('button', { name: /تغییر زبان/ }));
    expect(document.documentElement.dir).toBe('ltr');
  });

  it('writes Persian digits and the Jalali date next to the Gregorian one', () => {
    expect(formatNumber(1234, 'fa')).toBe('۱٬۲۳۴');
    const day = formatDualDay('2026-03-21');
    expect(day.gregorian).toBe('21 Mar 2026');
    // 1 Farvardin 1405 (Nowruz).
    expect(day.jalali).toContain('۱۴۰۵');
    expect(day.jalali).toContain('فروردین');
  });
});

describe('progress and usage figures', () => {
  it('ingestion progress counts pages and passages and is full only when ready', () => {
    const doc = { status: 'processing' as const, pages: 2, pages_done: 2, chunks: 8, chunks_done: 8 };
    expect(ingestionFraction(doc)).toBeLessThan(1);
    expect(ingestionFraction({ ...doc, pages_done: 1, chunks_done: 0 })).toBeCloseTo(0.1);
    expect(ingestionFraction({ ...doc, status: 'ready' })).toBe(1);
  });

  it("sums today's and this month's tokens per model on the server's calendar", () => {
    const summary = summarizeUsage(
      [
        { day: '2026-11-27', model: 'gpt-4o', inputTokens: 100, outputTokens: 20, requests: 2 },
        { day: '2026-11-27', model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 5, requests: 1 },
        { day: '2026-11-02', model: 'gpt-4o', inputTokens: 1000, outputTokens: 200, requests: 9 },
        { day: '2026-10-31', model: 'gpt-4o', inputTokens: 5000, outputTokens: 500, requests: 30 },
      ],
      '2026-11-27',
    );
    expect(summary.todayTotal).toBe(135);
    expect(summary.monthTotal).toBe(1335);
    expect(summary.month.map((m) => [m.model, m.requests])).toEqual([
      ['gpt-4o', 11],
      ['gpt-4o-mini', 1],
    ]);
  });
});

describe('Server-Sent Events parser', () => {
  it('reassembles events split across chunks, skips heartbeats, handles CRLF and multi-line data', async () => {
    const parts = [
      ': stream open\n\nevent: tok',
      'en\ndata: {"text":"Hel"}\n',
      '\n: heartbeat\r\n\r\n',
      'event: done\r\ndata: a\r\ndata: b\r\n\r\n',
    ];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });
    const events = [];
    for await (const event of readSse(body)) events.push(event);
    expect(events).toEqual([
      { event: 'token', data: '{"text":"Hel"}' },
      { event: 'done', data: 'a\nb' },
    ]);
  });

  it('keeps a multi-byte character split between chunks intact', async () => {
    const bytes = new TextEncoder().encode('event: token\ndata: {"text":"سلام"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 22));
        controller.enqueue(bytes.slice(22));
        controller.close();
      },
    });
    const events = [];
    for await (const event of readSse(body)) events.push(event);
    expect(JSON.parse(events[0]!.data)).toEqual({ text: 'سلام' });
  });
});

// @vitest-environment jsdom
import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { Citation } from '../app/web/src/api/types.js';
import { quotedRanges, statementsCiting } from '../app/web/src/chat/quoted-span.js';
import { answerAsMarkdown } from '../app/web/src/chat/turns.js';
import { I18nProvider } from '../app/web/src/i18n/i18n.js';
import { textDirection } from '../app/web/src/markdown/direction.js';
import { SafeMarkdown } from '../app/web/src/markdown/SafeMarkdown.js';

afterEach(cleanup);

const inPersian = (ui: React.ReactNode) => render(<I18nProvider lang="fa">{ui}</I18nProvider>);

describe('direction of a block', () => {
  it('goes by most of its letters, so a leading foreign word does not turn it', () => {
    expect(textDirection('Pino یک ابزار ثبت رویداد سریع است.')).toBe('rtl');
    expect(textDirection('Pino is a fast logger, نه کند.')).toBe('ltr');
    expect(textDirection('02:00 — 14')).toBeUndefined();
  });

  it('gives each paragraph, list item and table cell its own direction; code is LTR', () => {
    const { container } = inPersian(
      <SafeMarkdown
        text={
          'بر پایه‌ی اسناد شما:\n\n- Pino is a very fast logger. [1]\n- پشتیبان‌گیری هر شب انجام می‌شود.\n\n| name | توضیح |\n| --- | --- |\n| `x` | مقدار پیش‌فرض |\n'
        }
      />,
    );
    const dirs = (selector: string) =>
      [...container.querySelectorAll(selector)].map((e) => e.getAttribute('dir'));
    expect(dirs('p')).toEqual(['rtl']);
    expect(dirs('li')).toEqual(['ltr', 'rtl']);
    expect(dirs('td')).toEqual([null, 'rtl']);
    expect(dirs('code')).toEqual(['ltr']);
    expect(container.querySelector('.markdown')?.getAttribute('dir')).toBe('rtl');
  });

  it('shows "- - item" as one bullet, not an empty bullet holding a nested list', () => {
    const { container } = inPersian(<SafeMarkdown text={'- - Install the package [1]\n- Run it'} />);
    expect(container.querySelectorAll('li')).toHaveLength(2);
    expect(container.querySelector('li ul')).toBeNull();
  });

  it('marks a range of the source, splitting the text node where it starts and ends', () => {
    const text = 'The **nightly** backup runs at 02:00 and keeps fourteen copies.';
    const start = text.indexOf('runs at');
    const { container } = inPersian(
      <SafeMarkdown text={text} marks={[[start, start + 'runs at 02:00'.length]]} />,
    );
    expect(container.querySelector('mark')?.textContent).toBe('runs at 02:00');
    expect(container.querySelector('strong')?.textContent).toBe('nightly');
  });
});

describe('the quoted span', () => {
  const passage =
    '## Backups\n\nThe nightly backup runs at 02:00. It keeps **fourteen** daily copies on the volume.';

  it('finds the statements citing [n] and their exact place in the passage', () => {
    const answer =
      'From your documents:\n\n- It keeps fourteen daily copies on the volume. [2]\n- Other thing. [1]';
    const statements = statementsCiting(answer, 2);
    expect(statements).toEqual(['It keeps fourteen daily copies on the volume']);
    const [range] = quotedRanges(passage, statements);
    expect(passage.slice(range![0], range![1])).toBe('It keeps **fourteen** daily copies on the volume');
  });

  it('marks the sentence sharing most words with a paraphrase, and nothing for an unrelated one', () => {
    const [range] = quotedRanges(passage, ['Every night the backup runs at 02:00']);
    expect(passage.slice(range![0], range![1])).toBe('The nightly backup runs at 02:00.');
    expect(quotedRanges(passage, ['Releases go out on Tuesdays after checks'])).toEqual([]);
  });
});

describe('copy as Markdown', () => {
  it('adds the sources the answer cites, and only those', () => {
    const citation = (n: number, name: string): Citation => ({
      n,
      document_id: 'd',
      document_name: name,
      chunk_id: 'c',
      page: 2,
      page_end: null,
      heading_path: ['Ops', 'Backups'],
      snippet: '',
    });
    const text = answerAsMarkdown('Runs at 02:00 [2].', [citation(1, 'a.md'), citation(2, 'b.pdf')], {
      sources: 'Sources',
      page: (from) => `p. ${from}`,
    });
    expect(text).toBe('Runs at 02:00 [2].\n\nSources:\n\n- [2] b.pdf, Ops › Backups, p. 2\n');
  });
});

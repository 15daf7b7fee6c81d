import { describe, expect, it } from 'vitest';
import { formatNumberedContext } from './context-format.js';
import { LocalChatProvider } from './local-chat-provider.js';
import { countChatPromptTokens, countTokens } from './tokens.js';
import type { ChatEvent, ChatMessage } from './types.js';

const context = formatNumberedContext([
  {
    n: 1,
    source: 'ops-guide.md, p. 2',
    text: 'Backups are written to the docuchat-backups volume. The backup job runs every night at 02:00.',
  },
  {
    n: 2,
    source: 'billing.md',
    text: 'Invoices are priced at 20 Tomans per 1000 tokens. Discounts apply per tenant.',
  },
]);

const prompt = (question: string, ctx = context): ChatMessage[] => [
  { role: 'system', content: `Answer from the numbered context and cite [n].\n\n${ctx}` },
  { role: 'user', content: question },
];

async function collect(messages: ChatMessage[]) {
  const events: ChatEvent[] = [];
  for await (const e of new LocalChatProvider().stream({ model: 'local', messages, timeoutMs: 1000 }))
    events.push(e);
  const tokens = events.filter((e) => e.type === 'token');
  return {
    text: tokens.map((e) => e.text).join(''),
    tokens: tokens.length,
    usage: events.find((e) => e.type === 'usage'),
  };
}

describe('LocalChatProvider (offline extractive answers)', () => {
  it('quotes the sentence that answers the question, followed by its citation, streamed word by word', async () => {
    const r = await collect(prompt('When does the backup job run?'));
    expect(r.text).toContain('The backup job runs every night at 02:00. [1]');
    expect(r.text).not.toContain('[2]');
    expect(r.tokens).toBeGreaterThan(5);
  });

  it('cites the other document for a billing question', async () => {
    const r = await collect(prompt('How many Tomans per 1000 tokens are invoices priced at?'));
    expect(r.text).toContain('Invoices are priced at 20 Tomans per 1000 tokens. [2]');
  });

  it('says plainly when the passages do not answer the question', async () => {
    const r = await collect(prompt('Which colour is the office door painted?'));
    expect(r.text).toBe('The passages I found do not answer this question.');
  });

  it('quotes a code line only when the question asks how to do something', async () => {
    const code = formatNumberedContext([
      {
        n: 1,
        source: 'argon2.md',
        text: 'Force a build from source on install:\n\n```bash\n$ npm install argon2 --build-from-source\n```',
      },
    ]);
    const how = await collect(prompt('How do I force argon2 to build from source on install?', code));
    expect(how.text).toContain('`$ npm install argon2 --build-from-source`');
    const what = await collect(prompt('Does argon2 build from source on install?', code));
    expect(what.text).not.toContain('npm install');
  });

  it('says it found nothing instead of inventing when the context is empty', async () => {
    const r = await collect(prompt('When does the backup job run?', formatNumberedContext([])));
    expect(r.text).toBe('I could not find anything about this in your documents.');
  });

  it('answers a Persian question from Persian context, with Persian wording and the citation', async () => {
    const fa = formatNumberedContext([
      { n: 1, text: 'پشتیبان‌گیری هر شب ساعت ۲ انجام می‌شود. فایل‌ها در حجم docuchat-backups نگهداری می‌شوند.' },
      { n: 2, text: 'صورتحساب‌ها روزانه ساعت ۳ صادر می‌شوند.' },
    ]);
    const r = await collect(prompt('پشتیبان گیری چه ساعتی انجام میشود؟', fa));
    // It leads with the sentence that answers, in the words of the document.
    expect(r.text.startsWith('پشتیبان‌گیری هر شب ساعت ۲ انجام می‌شود. [1]')).toBe(true);
    const none = await collect(prompt('رنگ آسمان چیست؟', formatNumberedContext([])));
    expect(none.text).toBe('در اسناد شما چیزی مرتبط با این پرسش پیدا نکردم.');
  });

  it('finds the question and the context when both are in the same user turn', async () => {
    const r = await collect([
      { role: 'user', content: `${context}\n\nQuestion: When does the backup job run?` },
    ]);
    expect(r.text).toContain('[1]');
  });

  it('reports usage counted with the o200k tokenizer', async () => {
    const messages = prompt('When does the backup job run?');
    const r = await collect(messages);
    expect(r.usage).toEqual({
      type: 'usage',
      inputTokens: countChatPromptTokens(messages),
      outputTokens: countTokens(r.text),
    });
  });
});

import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Invoice } from './invoices.js';
import { formatCount, formatTomans } from './money.js';
import { gregorianDay, jalaliDay } from './period.js';
import { parseHundredths } from './pricing.js';

export interface InvoiceEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Deterministic, so a message re-sent after a crash between sending and recording is recognisably the same. */
  messageId: string;
}

const persianDigits = (s: string) => s.replace(/\d/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[Number(d)]!);
const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The invoice e-mail, Persian first (right to left), then English: period in both calendars, tokens, amount, link. */
export function composeInvoiceEmail(invoice: Invoice, to: string): InvoiceEmail {
  const jalali = jalaliDay(invoice.periodStart);
  const gregorian = gregorianDay(invoice.periodStart);
  const tokens = formatCount(invoice.tokens);
  const amount = formatTomans(parseHundredths(invoice.amount));
  const carried = parseHundredths(invoice.carriedAmount);
  const link = invoice.paymentUrl ?? '';
  const fa = [
    `صورتحساب داکیوچت برای ${invoice.tenantName}`,
    `دوره: ${jalali.fa} (${gregorian.fa})`,
    `توکن‌های مصرف‌شده: ${persianDigits(tokens)}`,
    ...(carried > 0n ? [`مانده از صورتحساب‌های قبلی: ${persianDigits(formatTomans(carried))} تومان`] : []),
    `مبلغ قابل پرداخت: ${persianDigits(amount)} تومان`,
    `پرداخت: ${link}`,
  ];
  const en = [
    `DocuChat invoice for ${invoice.tenantName}`,
    `Period: ${gregorian.en} (${jalali.en})`,
    `Tokens used: ${tokens}`,
    ...(carried > 0n ? [`Carried forward from earlier invoices: ${formatTomans(carried)} Tomans`] : []),
    `Amount due: ${amount} Tomans`,
    `Pay: ${link}`,
  ];
  const html = `<!doctype html><html><body>
<div dir="rtl" lang="fa">${fa.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</div>
<hr>
<div dir="ltr" lang="en">${en.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</div>
<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>
</body></html>`;
  return {
    to,
    subject: `صورتحساب داکیوچت ${jalali.fa} / DocuChat invoice ${invoice.periodStart}`,
    text: `${fa.join('\n')}\n\n---\n\n${en.join('\n')}\n`,
    html,
    messageId: `<invoice-${invoice.id}-${invoice.periodStart}@docuchat>`,
  };
}

/** Sends invoice e-mails: through SMTP when SMTP_URL is set, otherwise into the log (the embedded default). */
export interface InvoiceMailer {
  /**
   * `logged` when there is no SMTP server and the message went to the log instead: to `log` when given (the
   * billing job passes the tenant's own output, so the message stays with the tenant's lines), else the mailer's.
   */
  send(email: InvoiceEmail, log?: (line: string) => void): Promise<'sent' | 'logged'>;
  close(): void;
}

export function createInvoiceMailer(options: {
  smtpUrl: string | undefined;
  from: string;
  log: (line: string) => void;
  /** @default 15000 */
  timeoutMs?: number;
}): InvoiceMailer {
  if (!options.smtpUrl) {
    return {
      async send(email, log = options.log) {
        log(`  (SMTP_URL is not set: e-mail to ${email.to} written here instead)\n${email.text}`);
        return 'logged';
      },
      close() {},
    };
  }
  const timeout = options.timeoutMs ?? 15_000;
  const url = new URL(options.smtpUrl);
  for (const [key, value] of [
    ['connectionTimeout', timeout],
    ['greetingTimeout', timeout],
    ['socketTimeout', timeout],
    // One pooled connection reused for the invoices of a run, instead of a new SMTP session per e-mail.
    ['pool', 'true'],
  ] as const) {
    if (!url.searchParams.has(key)) url.searchParams.set(key, String(value));
  }
  const transport = nodemailer.createTransport(url.toString());
  return {
    async send(email) {
      // Built in memory and handed over whole: streamed, the message went to the socket in a dozen small writes,
      // which over the thousands of e-mails of a billing run cost more CPU than composing them.
      const raw = await new MailComposer({
        from: options.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: email.messageId,
        textEncoding: 'base64',
      })
        .compile()
        .build();
      // Handed over as a string (nodemailer does less with it than with a Buffer); the built message is ASCII, its
      // headers and bodies encoded, so this is the same text.
      await transport.sendMail({
        envelope: { from: options.from, to: [email.to] },
        raw: raw.toString('utf8'),
      });
      return 'sent';
    },
    close() {
      transport.close();
    },
  };
}

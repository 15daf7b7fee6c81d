import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { encode, wrap } from 'nodemailer/lib/base64';
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
  const build = messageBuilder(options.from);
  return {
    async send(email) {
      // Built in memory and handed over whole, as a string: streamed, the message went to the socket in a dozen
      // small writes, which over the thousands of e-mails of a billing run cost more CPU than composing them.
      await transport.sendMail({
        envelope: { from: options.from, to: [email.to] },
        raw: await build(email),
        // The raw message has its Message-ID; named here, nodemailer does not generate one to throw away.
        messageId: email.messageId,
      });
      return 'sent';
    },
    close() {
      transport.close();
    },
  };
}

/** An address the message can name as it is: printable ASCII, no display name, nothing to quote or encode. */
const PLAIN_ADDRESS = /^[!#-'*+\-/-9=?A-Z^-~.]+@[A-Za-z0-9.-]+$/;

/**
 * Builds invoice e-mails (MIME: multipart/alternative, text and HTML in base64) as strings. nodemailer's
 * composer takes ~0.35 ms of CPU per message, most of it stream plumbing, which was the largest single cost of a
 * billing run; so it builds only the parts that need its encoding rules: the From and Subject header lines, once
 * per sender and subject (a subject is the same for every invoice of a day). The rest is fixed text and base64.
 * Recipients that are not a plain address go through nodemailer whole.
 */
function messageBuilder(from: string): (email: InvoiceEmail) => Promise<string> {
  const composed = (email: InvoiceEmail) =>
    new MailComposer({
      from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId: email.messageId,
      textEncoding: 'base64',
    })
      .compile()
      .build()
      .then((raw) => raw.toString('utf8'));
  const headerLines = new Map<string, Promise<string[]>>();
  const prefix = `--_DocuChat-${randomBytes(8).toString('hex')}-`;
  let sequence = 0;
  return async (email) => {
    if (!PLAIN_ADDRESS.test(email.to) || !PLAIN_ADDRESS.test(email.messageId.slice(1, -1))) {
      return composed(email);
    }
    let fromAndSubject = headerLines.get(email.subject);
    if (!fromAndSubject) {
      fromAndSubject = composed({ ...email, to: 'to@invalid', text: '', html: '' }).then((raw) =>
        pickHeaders(raw, ['From', 'Subject']),
      );
      headerLines.set(email.subject, fromAndSubject);
    }
    const [fromLine, subjectLine] = await fromAndSubject;
    // Base64 has no "-" or "_": the boundary cannot occur in the parts.
    const boundary = `${prefix}${++sequence}`;
    const part = (type: string, body: string) =>
      `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(body)}\r\n`;
    return (
      `${fromLine}\r\nTo: ${email.to}\r\n${subjectLine}\r\nMessage-ID: ${email.messageId}\r\n` +
      `Date: ${rfc2822Date(new Date())}\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: multipart/alternative;\r\n boundary="${boundary}"\r\n\r\n` +
      `${part('text/plain', email.text)}${part('text/html', email.html)}--${boundary}--\r\n`
    );
  };
}

/** The named header fields of a built message, each with its folded continuation lines. */
function pickHeaders(raw: string, names: readonly string[]): string[] {
  const fields = raw.slice(0, raw.indexOf('\r\n\r\n')).split(/\r\n(?![ \t])/);
  return names.map((name) => {
    const field = fields.find((f) => f.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    if (!field) throw new Error(`nodemailer built no ${name} header`);
    return field;
  });
}

/** UTF-8 text in base64, in lines of 76 characters, with nodemailer's own helpers. */
function base64Lines(text: string): string {
  return wrap(encode(Buffer.from(text, 'utf8')), 76);
}

/** The Date header as nodemailer writes it: `Fri, 06 Nov 2026 18:45:27 +0000`. */
function rfc2822Date(at: Date): string {
  return at.toUTCString().replace(/GMT/, '+0000');
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeInvoiceEmail, createInvoiceMailer } from '../mail.js';
import { type SmtpInbox, sampleInvoice, startSmtpInbox } from './support.js';

let inbox: SmtpInbox;
beforeAll(async () => {
  inbox = await startSmtpInbox();
});
afterAll(async () => {
  await inbox?.close();
});

const invoice = sampleInvoice('42');

/**
 * The message without what differs between two builds of it (boundary, the moment in the date); a Date header not
 * written the way nodemailer writes it (`Fri, 06 Nov 2026 18:45:27 +0000`) is kept as it is, so it shows.
 */
const shape = (raw: string) =>
  raw
    .replace(/boundary="[^"]+"/, 'boundary=B')
    .replace(/^--[^\r\n]+$/gm, '--B')
    .replace(/^Date: (.*)\r$/m, (line, value: string) =>
      new Date(value).toUTCString().replace(/GMT/, '+0000') === value ? 'Date: D\r' : line,
    );

describe('invoice e-mail over SMTP', () => {
  it("is the message nodemailer's composer builds, for a plain address and for one it has to encode", async () => {
    const mailer = createInvoiceMailer({
      smtpUrl: inbox.url,
      from: 'DocuChat Billing <billing@docuchat.example>',
      log: () => {},
    });
    try {
      const plain = composeInvoiceEmail(invoice, 'owner@demo.example');
      const named = composeInvoiceEmail(invoice, 'Ünal Owner <owner@demo.example>');
      expect(await mailer.send(plain)).toBe('sent');
      expect(await mailer.send(named)).toBe('sent');
    } finally {
      mailer.close();
    }
    const [built, composed] = inbox.messages;
    for (const mail of [built!, composed!]) {
      expect(mail.from).toBe('billing@docuchat.example');
      expect(mail.to).toEqual(['owner@demo.example']);
      expect(mail.subject).toBe('صورتحساب داکیوچت ۱۳ مهر ۱۴۰۴ / DocuChat invoice 2025-10-05');
      expect(mail.messageId).toBe('<invoice-42-2025-10-05@docuchat>');
      expect(mail.text).toContain('Pay: https://gateway.zibal.ir/start/42');
      expect(mail.raw).toMatch(/^From: DocuChat Billing <billing@docuchat\.example>\r$/m);
      expect(mail.raw).toContain('Content-Type: text/html; charset=utf-8');
    }
    // Apart from the To header, the message built here is the one nodemailer composes, line for line.
    expect(shape(built!.raw).replace(/^To: .*$/m, 'To: T')).toBe(
      shape(composed!.raw).replace(/^To: .*$/m, 'To: T'),
    );
  });
});

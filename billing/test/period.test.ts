import { describe, expect, it } from 'vitest';
import { composeInvoiceEmail, createInvoiceMailer } from '../mail.js';
import { billingPeriod, jalaliDay, previousDay } from '../period.js';
import { sampleInvoice } from './support.js';

describe('billing period', () => {
  it('is the previous full day in the billing time zone', () => {
    // 03:00 in Tehran on 6 October is 23:30 UTC on 5 October: yesterday there is 5 October.
    expect(previousDay(new Date('2025-10-05T23:30:00Z'), 'Asia/Tehran')).toBe('2025-10-05');
    expect(previousDay(new Date('2025-10-05T23:30:00Z'), 'UTC')).toBe('2025-10-04');
  });

  it('spans local midnight to local midnight, also across a daylight-saving change', () => {
    const tehran = billingPeriod('2025-10-05', 'Asia/Tehran');
    expect([tehran.from.toISOString(), tehran.to.toISOString()]).toEqual([
      '2025-10-04T20:30:00.000Z',
      '2025-10-05T20:30:00.000Z',
    ]);
    const springForward = billingPeriod('2024-03-10', 'America/New_York');
    expect((springForward.to.getTime() - springForward.from.getTime()) / 3_600_000).toBe(23);
  });

  it('names the day in the Jalali calendar', () => {
    expect(jalaliDay('2025-10-05')).toEqual({ fa: '۱۳ مهر ۱۴۰۴', en: 'Mehr 13, 1404 AP' });
  });
});

describe('invoice e-mail without SMTP', () => {
  it('is written to the output instead (the embedded default)', async () => {
    const lines: string[] = [];
    const mailer = createInvoiceMailer({
      smtpUrl: undefined,
      from: 'x@example.com',
      log: (l) => lines.push(l),
    });
    const invoice = sampleInvoice('7');
    expect(await mailer.send(composeInvoiceEmail(invoice, 'owner@demo.example'))).toBe('logged');
    const out = lines.join('\n');
    expect(out).toContain('e-mail to owner@demo.example written here instead');
    expect(out).toContain('Amount due: 3,000.00 Tomans');
    expect(out).toContain('Pay: https://gateway.zibal.ir/start/42');
  });
});

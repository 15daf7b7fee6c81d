/**
 * Row 6 — billing. One run of the billing job over N tenants with ledger usage on the billed day, all the way:
 * invoices, payment links from a fake Zibal, e-mails through an SMTP server. Baseline: the same run with
 * `--dry-run` (usage read and priced, nothing written or sent), which isolates the per-invoice steps.
 * The job runs in its own process, as the CronJob does; the fake Zibal and the SMTP sink run here.
 */
import { loadConfig } from '../../app/config/index.js';
import { startFakeZibal } from '../../test/fakes/zibal.js';
import { withWorker } from '../lib/child.js';
import type { Line } from '../lib/report.js';
import type { RowDefinition } from '../lib/row.js';
import { startSmtpSink } from '../lib/smtp-sink.js';

const TARGET_SECONDS = 10;

interface BillingRun {
  code: number;
  seconds: number;
  printed: number;
  lastError: string;
  cached: boolean;
}

export const billingRow: RowDefinition = {
  id: 'billing',
  title: '6. Billing',
  requires: ['billing/cli.ts', 'billing/job.ts', 'test/fakes/zibal.ts'],
  async run({ quick, log }) {
    const tenants = quick ? 300 : 10_000;
    const zibal = await startFakeZibal();
    const smtp = await startSmtpSink();
    try {
      const env = {
        ZIBAL_MERCHANT: 'zibal',
        ZIBAL_BASE_URL: zibal.url,
        SMTP_URL: smtp.url,
        PUBLIC_BASE_URL: 'https://docuchat.example',
        LOG_LEVEL: 'silent',
      };
      const dry = await withWorker('billing', { readyTimeoutMs: 60_000 }, (w) =>
        w.request<BillingRun>('run', { tenants, env, dryRun: true }),
      );
      log(
        `dry run: ${dry.result.seconds.toFixed(1)} s (exit ${dry.result.code})${dry.result.cached ? '' : ', database generated first'}`,
      );
      const full = await withWorker('billing', { readyTimeoutMs: 60_000 }, (w) =>
        w.request<BillingRun>('run', { tenants, env, dryRun: false }),
      );
      const r = full.result;
      log(
        `full run: ${r.seconds.toFixed(1)} s (exit ${r.code}), ${zibal.callsTo('request').length} payment links, ${smtp.received} e-mails`,
      );
      if (r.code !== 0) throw new Error(`billing exited ${r.code}: ${r.lastError}`);
      const line: Line = {
        measure: `one run, ${tenants.toLocaleString('en-US')} tenants with usage (links + e-mails)`,
        unit: 's',
        median: r.seconds,
        p95: null,
        n: 1,
        baseline: { label: '--dry-run', median: dry.result.seconds, p95: null },
        ratio: r.seconds / dry.result.seconds,
        target: { text: `≤ ${TARGET_SECONDS} s`, pass: r.seconds <= TARGET_SECONDS },
        peakRssMb: full.peakRssMb,
      };
      const perTenantMs = (r.seconds * 1000) / tenants;
      return {
        lines: [line],
        notes: [
          `One run (it writes invoices; a second run of the same day has nothing to do), so no p95; ` +
            `tenants billed ${loadConfig({}).BILLING_CONCURRENCY} at a time (BILLING_CONCURRENCY's default), their database writes grouped. ` +
            `${(r.printed / tenants).toFixed(1)} output lines per tenant; ${perTenantMs.toFixed(1)} ms per tenant; ` +
            `${zibal.callsTo('request').length} Zibal requests, ${smtp.received} e-mails over ${smtp.connections} SMTP ` +
            'connections (a relay that greets at once; TLS and AUTH on a real relay add their set-up per connection). ' +
            `Dry run peak RSS ${dry.peakRssMb} MiB.`,
        ],
        peakRssMb: full.peakRssMb,
      };
    } finally {
      await smtp.close();
      await zibal.close();
    }
  },
};

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeZibal, startFakeZibal } from '../../test/fakes/zibal.js';
import { parseBillingArgs, runBillingCli } from '../cli.js';
import {
  addUsage,
  createTenant,
  type SmtpInbox,
  startSmtpInbox,
  startTestDatabase,
  type TestDatabase,
} from './support.js';

let test: TestDatabase;
let zibal: FakeZibal;
let inbox: SmtpInbox;

beforeAll(async () => {
  [test, zibal, inbox] = await Promise.all([startTestDatabase(), startFakeZibal(), startSmtpInbox()]);
});
afterAll(async () => {
  await Promise.all([test?.close(), zibal?.close(), inbox?.close()]);
});

async function cli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBillingCli(
    argv,
    {
      DATA_DIR: test.dataDir,
      DATABASE_URL: test.url,
      DATABASE_POOL_SIZE: '3',
      ZIBAL_API_KEY: 'zibal', // the seed's name for the merchant
      ZIBAL_BASE_URL: zibal.url,
      SMTP_URL: inbox.url,
      PUBLIC_BASE_URL: 'https://docuchat.example.com',
      ...env,
    },
    { print: (l) => out.push(l), printError: (l) => err.push(l) },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('billing command line', () => {
  it('parses the documented arguments and refuses anything else with one line', () => {
    expect(parseBillingArgs(['--date', '2025-10-05', '--source=prometheus', '--dry-run'])).toEqual({
      command: 'bill',
      day: '2025-10-05',
      source: 'prometheus',
      dryRun: true,
      tolerancePercent: undefined,
    });
    expect(parseBillingArgs(['reconcile', '--date', '2025-10-05', '--tolerance', '2'])).toMatchObject({
      command: 'reconcile',
      tolerancePercent: 2,
    });
    expect(() => parseBillingArgs(['--date', '2025-02-30'])).toThrow('Invalid date "2025-02-30"');
    expect(() => parseBillingArgs(['--source', 'grafana'])).toThrow('--source must be ledger or prometheus');
    expect(() => parseBillingArgs(['--bogus'])).toThrow('Unknown argument "--bogus"');
    expect(parseBillingArgs(['--concurrency', '4'])).toMatchObject({ concurrency: 4 });
    expect(parseBillingArgs(['--concurrency=1'])).toMatchObject({ concurrency: 1 });
    for (const bad of ['0', '65', '2.5', 'many']) {
      expect(() => parseBillingArgs(['--concurrency', bad])).toThrow(
        '--concurrency must be a whole number from 1 to 64',
      );
    }
    expect(() => parseBillingArgs(['reconcile', '--concurrency', '4'])).toThrow(
      'reconcile takes only --date and --tolerance',
    );
  });

  it('bills a day, then reports that nothing new was billed', async () => {
    const tenant = await createTenant(test.db, { slug: 'cli-corp' });
    await addUsage(test.db, tenant.id, '2025-10-05T09:00:00Z', 150_000, 0);
    const first = await cli(['--date', '2025-10-05']);
    expect(first.code).toBe(0);
    expect(first.out).toContain('Processing tenant: cli-corp\n  Tokens: 150,000\n  Amount: 3,000.00 Tomans');
    expect(first.out).toContain('• Email sent to cli-corp');
    const second = await cli(['--date', '2025-10-05']);
    expect(second.code).toBe(0);
    expect(second.out).toContain('• Nothing new to bill: 1 invoice(s) for 2025-10-05 already exist');
    expect(zibal.callsTo('request')).toHaveLength(1);
    expect(inbox.messages).toHaveLength(1);
  });

  it('exits 1 naming the failed tenants', async () => {
    const tenant = await createTenant(test.db, { slug: 'refused-corp' });
    await addUsage(test.db, tenant.id, '2025-10-07T09:00:00Z', 150_000, 0);
    zibal.fault('request', { result: 102 });
    const run = await cli(['--date', '2025-10-07']);
    expect(run.code).toBe(1);
    expect(run.err).toBe('Billing failed for tenant(s): refused-corp');
    expect((await cli(['--date', '2025-10-08'])).code).toBe(0); // the next run completes it
  });

  it('exits 2 with the usage on bad arguments or configuration', async () => {
    const bad = await cli(['--date', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Invalid date "yesterday"');
    expect(bad.err).toContain('Usage:');
    const noPrometheus = await cli(['reconcile', '--date', '2025-10-05']);
    expect(noPrometheus.code).toBe(2);
    expect(noPrometheus.err).toBe('reconcile needs PROMETHEUS_URL (e.g. http://docuchat-prometheus:9090)');
  });

  it('runs as `npm run billing` and reports a bad argument as one line with exit code 2', async () => {
    const run = await promisify(execFile)(
      'npm',
      ['run', '--silent', 'billing', '--', '--source', 'grafana'],
      {
        env: { ...process.env, DATA_DIR: test.dataDir },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('--source must be ledger or prometheus, got "grafana"');
  });
});

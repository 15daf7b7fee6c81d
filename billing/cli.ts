import { type Config, loadConfig, MAX_BILLING_CONCURRENCY } from '../app/config/index.js';
import { openDatabase } from '../app/db/index.js';
import { runBillingJob } from './job.js';
import { createInvoiceMailer } from './mail.js';
import { billingPeriod, parseDay, previousDay } from './period.js';
import { reconcile } from './reconcile.js';
import type { UsageSourceName } from './sources/usage.js';
import { ZibalClient } from './zibal.js';

export const USAGE = `Usage:
  npm run billing -- [--date YYYY-MM-DD] [--source ledger|prometheus] [--dry-run] [--concurrency N]
  npm run billing -- reconcile [--date YYYY-MM-DD] [--tolerance PERCENT]

Bills the previous full day in BILLING_TIMEZONE (default Asia/Tehran) unless --date is given.
--concurrency N: tenants billed at the same time, 1 to ${MAX_BILLING_CONCURRENCY} (default BILLING_CONCURRENCY, 32).
Exit codes: 0 done, 1 some tenant failed (named in the output), 2 bad arguments or configuration.`;

export interface BillingArgs {
  command: 'bill' | 'reconcile';
  day: string | undefined;
  source: UsageSourceName;
  dryRun: boolean;
  tolerancePercent: number | undefined;
  /** Overrides BILLING_CONCURRENCY. */
  concurrency: number | undefined;
}

/** A mistake on the command line: printed as one line with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseBillingArgs(argv: readonly string[]): BillingArgs {
  const args: BillingArgs = {
    command: 'bill',
    day: undefined,
    source: 'ledger',
    dryRun: false,
    tolerancePercent: undefined,
    concurrency: undefined,
  };
  const rest = [...argv];
  if (rest[0] === 'reconcile') {
    args.command = 'reconcile';
    rest.shift();
  }
  const value = (flag: string) => {
    const v = rest.shift();
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  while (rest.length > 0) {
    const arg = rest.shift()!;
    const [flag, inline] = arg.includes('=')
      ? (arg.split(/=(.*)/s, 2) as [string, string])
      : [arg, undefined];
    const take = () => inline ?? value(flag);
    switch (flag) {
      case '--date': {
        const day = take();
        try {
          parseDay(day);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        args.day = day;
        break;
      }
      case '--source': {
        const source = take();
        if (source !== 'ledger' && source !== 'prometheus') {
          throw new UsageError(`--source must be ledger or prometheus, got ${JSON.stringify(source)}`);
        }
        args.source = source;
        break;
      }
      case '--dry-run':
        args.dryRun = true;
        break;
      case '--tolerance': {
        const tolerance = Number(take());
        if (!Number.isFinite(tolerance) || tolerance < 0)
          throw new UsageError('--tolerance must be a percentage >= 0');
        args.tolerancePercent = tolerance;
        break;
      }
      case '--concurrency': {
        const raw = take();
        const concurrency = Number(raw);
        if (!/^\d+$/.test(raw) || concurrency < 1 || concurrency > MAX_BILLING_CONCURRENCY)
          throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_BILLING_CONCURRENCY}`);
        args.concurrency = concurrency;
        break;
      }
      case '--help':
      case '-h':
        throw new UsageError('help');
      default:
        throw new UsageError(`Unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (
    args.command === 'reconcile' &&
    (args.dryRun || args.source !== 'ledger' || args.concurrency !== undefined)
  ) {
    throw new UsageError('reconcile takes only --date and --tolerance');
  }
  return args;
}

export interface CliIo {
  print: (line: string) => void;
  printError: (line: string) => void;
}

/** Runs the billing command line; returns the process exit code. */
export async function runBillingCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<number> {
  let args: BillingArgs;
  let config: Config;
  try {
    args = parseBillingArgs(argv);
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof UsageError && error.message === 'help') {
      io.print(USAGE);
      return 0;
    }
    io.printError(`${(error as Error).message}\n\n${error instanceof UsageError ? USAGE : ''}`.trimEnd());
    return 2;
  }
  if (args.command === 'reconcile' && !config.PROMETHEUS_URL) {
    io.printError('reconcile needs PROMETHEUS_URL (e.g. http://docuchat-prometheus:9090)');
    return 2;
  }
  if (args.source === 'prometheus' && !config.PROMETHEUS_URL) {
    io.printError('--source prometheus needs PROMETHEUS_URL (e.g. http://docuchat-prometheus:9090)');
    return 2;
  }
  let db: Awaited<ReturnType<typeof openDatabase>>;
  try {
    db = await openDatabase(config);
  } catch (error) {
    io.printError(`Billing job failed: cannot open the database: ${(error as Error).message}`);
    return 1;
  }
  try {
    if (args.command === 'reconcile') {
      const day = args.day ?? previousDay(new Date(), config.BILLING_TIMEZONE);
      const result = await reconcile({
        db,
        prometheusUrl: config.PROMETHEUS_URL!,
        period: billingPeriod(day, config.BILLING_TIMEZONE),
        tolerancePercent: args.tolerancePercent ?? config.RECONCILE_TOLERANCE_PERCENT,
        print: io.print,
      });
      return result.exitCode;
    }
    const mailer = createInvoiceMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, log: io.print });
    try {
      const result = await runBillingJob({
        db,
        config,
        day: args.day,
        source: args.source,
        dryRun: args.dryRun,
        concurrency: args.concurrency,
        zibal: config.ZIBAL_MERCHANT
          ? new ZibalClient({ merchant: config.ZIBAL_MERCHANT, baseUrl: config.ZIBAL_BASE_URL })
          : undefined,
        mailer,
        print: io.print,
      });
      if (result.failures.length > 0) {
        io.printError(`Billing failed for tenant(s): ${result.failures.map((f) => f.tenant).join(', ')}`);
      }
      return result.exitCode;
    } finally {
      mailer.close();
    }
  } catch (error) {
    io.printError(`Billing job failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}

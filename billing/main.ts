/**
 * The billing job's entry point: `npm run billing -- ...` here, `node build/billing/main.js ...` in the
 * Kubernetes CronJob `docuchat-billing`. See billing/README.md.
 */
import { runBillingCli } from './cli.js';

const code = await runBillingCli(process.argv.slice(2), process.env, {
  print: (line) => process.stdout.write(`${line}\n`),
  printError: (line) => process.stderr.write(`${line}\n`),
});
process.exitCode = code;

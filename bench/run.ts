/**
 * `npm run bench [-- --only chat,retrieval] [--quick] [--profile]`: measures DocuChat next to its baselines and
 * writes bench/results/latest.json and latest.md. See bench/README.md for how to read the table.
 *
 * --only     run some rows; their results replace those rows in the latest results, the others are kept.
 * --quick    small sizes, for developing a row; written to bench/.cache/quick.{json,md}, never to results/.
 * --profile  every worker process writes a V8 CPU profile to bench/.cache/profiles/ (open in Chrome DevTools).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_DIR, CACHE_DIR, profiling, REPO_ROOT } from './lib/child.js';
import { type BenchReport, type RowResult, renderMarkdown, verdict } from './lib/report.js';
import type { RowDefinition } from './lib/row.js';
import { apiRow } from './rows/api.js';
import { billingRow } from './rows/billing.js';
import { chatRow } from './rows/chat.js';
import { eventLoopRow } from './rows/event-loop.js';
import { ingestionRow } from './rows/ingestion.js';
import { metricsRow } from './rows/metrics.js';
import { retrievalRow } from './rows/retrieval.js';
import { synthRow } from './rows/synth.js';

const ROWS: RowDefinition[] = [
  chatRow,
  retrievalRow,
  ingestionRow,
  apiRow,
  metricsRow,
  billingRow,
  synthRow,
  eventLoopRow,
];

function parseArgs(argv: string[]) {
  const args = { only: undefined as string[] | undefined, quick: false, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === '--only') {
      const value = inline ?? argv[++i];
      if (!value) throw new Error('--only needs row ids, e.g. --only chat,retrieval');
      args.only = value.split(',').map((s) => s.trim());
    } else if (flag === '--quick') args.quick = true;
    else if (flag === '--profile') args.profile = true;
    else throw new Error(`Unknown argument ${flag}; use --only <ids>, --quick, --profile`);
  }
  const unknown = args.only?.filter((id) => !ROWS.some((r) => r.id === id)) ?? [];
  if (unknown.length) {
    throw new Error(`Unknown row(s) ${unknown.join(', ')}; rows are ${ROWS.map((r) => r.id).join(', ')}`);
  }
  return args;
}

async function runRow(row: RowDefinition, quick: boolean): Promise<RowResult> {
  const missing = row.requires.filter((file) => !existsSync(path.join(REPO_ROOT, file)));
  if (missing.length) {
    console.log(`\n▶ ${row.title}: not landed (missing ${missing.join(', ')}); skipped`);
    return {
      id: row.id,
      title: row.title,
      status: 'not landed',
      lines: [],
      notes: [`Not landed: ${missing.join(', ')} missing.`],
      peakRssMb: null,
      seconds: 0,
    };
  }
  console.log(`\n▶ ${row.title}`);
  const started = performance.now();
  try {
    const outcome = await row.run({ quick, log: (line) => console.log(`  ${line}`) });
    const result: RowResult = {
      id: row.id,
      title: row.title,
      status: 'ran',
      ...outcome,
      seconds: (performance.now() - started) / 1000,
      ranAt: new Date().toISOString(),
      commit: gitCommit(),
    };
    console.log(`  → ${verdict(result)} in ${result.seconds.toFixed(1)} s`);
    return result;
  } catch (error) {
    console.log(`  → failed: ${(error as Error).stack}`);
    return {
      id: row.id,
      title: row.title,
      status: 'failed',
      lines: [],
      notes: [],
      peakRssMb: null,
      seconds: (performance.now() - started) / 1000,
      error: (error as Error).stack ?? String(error),
    };
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  profiling.enabled = args.profile;
  const selected = args.only ? ROWS.filter((r) => args.only!.includes(r.id)) : ROWS;
  const started = performance.now();
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    commit: gitCommit(),
    node: process.versions.node,
    cpus: os.cpus().length,
    loadAverageAtStart: os.loadavg()[0]!,
    scale: args.quick ? 'quick' : 'full',
    seconds: 0,
    rows: [],
  };
  for (const row of selected) report.rows.push(await runRow(row, args.quick));
  report.seconds = (performance.now() - started) / 1000;

  const outDir = args.quick ? CACHE_DIR : path.join(BENCH_DIR, 'results');
  const base = args.quick ? 'quick' : 'latest';
  mkdirSync(outDir, { recursive: true });
  const jsonPath = path.join(outDir, `${base}.json`);
  if (args.only && existsSync(jsonPath)) {
    // A partial run updates its rows in the latest results and keeps the others (each row says when it ran).
    const previous = JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchReport;
    const fresh = new Map(report.rows.map((r) => [r.id, r]));
    const merged = ROWS.map((r) => fresh.get(r.id) ?? previous.rows.find((p) => p.id === r.id)).filter(
      (r): r is RowResult => r !== undefined,
    );
    report.rows = merged;
    for (const key of ['startedAt', 'commit', 'loadAverageAtStart', 'seconds', 'scale'] as const)
      Object.assign(report, { [key]: previous[key] });
  }
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(outDir, `${base}.md`), renderMarkdown(report));
  console.log(
    `\nWrote ${path.relative(REPO_ROOT, jsonPath)} and ${base}.md (${report.seconds.toFixed(0)} s)`,
  );
  for (const row of report.rows) console.log(`  ${row.id.padEnd(10)} ${verdict(row)}`);
  // Handles (sockets of keep-alive agents) may linger; the results are written.
  process.exit(0);
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT }).toString().trim();
  } catch {
    return 'unknown';
  }
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(2);
});

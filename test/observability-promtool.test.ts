import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import {
  buildAlertRules,
  DEFAULT_PROMETHEUS_PARAMS,
  type PrometheusConfig,
  renderPrometheusFiles,
  renderPromtoolTests,
} from '../alerts-ts/index.js';
import { PROMETHEUS_DIST } from './observability-promql.js';

const run = promisify(execFile);
const scratch = mkdtempSync(path.join(tmpdir(), 'docuchat-promtool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function promtool(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: scratch });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}

function writeDir(name: string, files: Record<string, string>): string {
  const dir = path.join(scratch, name);
  cpSync(PROMETHEUS_DIST, dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(dir, file), content);
  return dir;
}

describe('promtool on dist/prometheus (apt package prometheus)', () => {
  it('check rules accepts all eight alerts', async () => {
    const { ok, output } = await promtool('check', 'rules', path.join(PROMETHEUS_DIST, 'alerts.yml'));
    expect(output).toContain('SUCCESS: 8 rules found');
    expect(ok, output).toBe(true);
  });

  it('every alert passes its unit tests: quiet below the threshold and before `for`, firing with exact labels and annotations', async () => {
    const { ok, output } = await promtool('test', 'rules', path.join(PROMETHEUS_DIST, 'alerts.test.yml'));
    expect(ok, output).toBe(true);
    expect(output).toContain('SUCCESS');
  }, 120_000);

  it('check config accepts prometheus.yml and the rule file it loads', async () => {
    const real = await promtool('check', 'config', path.join(PROMETHEUS_DIST, 'prometheus.yml'));
    if (real.ok) {
      expect(real.output).toContain('SUCCESS');
      return;
    }
    // Debian's prometheus package is built without Kubernetes service discovery (its client libraries are not
    // packaged), so its promtool rejects `kubernetes_sd_configs` as an unknown field. Check everything else with
    // the discovery block swapped for a static target; the discovery block itself is pinned in
    // alerts-ts/scrape-config.test.ts.
    expect(real.output).toMatch(/field kubernetes_sd_configs not found/);
    const config = parseYaml(
      readFileSync(path.join(PROMETHEUS_DIST, 'prometheus.yml'), 'utf8'),
    ) as PrometheusConfig;
    const staticVariant = {
      ...config,
      scrape_configs: config.scrape_configs.map(({ kubernetes_sd_configs: _sd, ...job }) => ({
        ...job,
        static_configs: [{ targets: ['127.0.0.1:8000'] }],
      })),
    };
    const dir = writeDir('static-config', { 'prometheus.yml': stringify(staticVariant) });
    const checked = await promtool('check', 'config', path.join(dir, 'prometheus.yml'));
    expect(checked.output).toContain('SUCCESS: 8 rules found');
    expect(checked.ok, checked.output).toBe(true);
  });

  it('HighMemoryUsage follows the memory limit it is given, and its tests catch a mismatched limit', async () => {
    const twoGiB = { ...DEFAULT_PROMETHEUS_PARAMS, memoryLimitBytes: 2 * 1024 ** 3 };
    const memoryTestsOnly = (params: typeof twoGiB) => {
      const tests = parseYaml(renderPromtoolTests(params)['alerts.test.yml']) as {
        tests: { name: string }[];
      };
      return stringify({ ...tests, tests: tests.tests.filter((t) => t.name.startsWith('HighMemoryUsage')) });
    };
    const rules = renderPrometheusFiles(twoGiB)['alerts.yml'];
    expect(rules).toContain('process_resident_memory_bytes{job="docuchat-backend"} / 2147483648 > 0.9');

    const matching = writeDir('memory-2gib', {
      'alerts.yml': rules,
      'alerts.test.yml': memoryTestsOnly(twoGiB),
    });
    const pass = await promtool('test', 'rules', path.join(matching, 'alerts.test.yml'));
    expect(pass.ok, pass.output).toBe(true);

    // Rules for 2 GiB against tests written for 1 GiB: 95 % of 1 GiB is under half of 2 GiB, so nothing fires.
    const mismatched = writeDir('memory-mismatch', {
      'alerts.yml': rules,
      'alerts.test.yml': memoryTestsOnly(DEFAULT_PROMETHEUS_PARAMS),
    });
    const fail = await promtool('test', 'rules', path.join(mismatched, 'alerts.test.yml'));
    expect(fail.ok).toBe(false);
    expect(fail.output).toMatch(/alertname: HighMemoryUsage/);
  });

  it('every alert carries severity, summary, description and a runbook link', () => {
    for (const { rule } of buildAlertRules(DEFAULT_PROMETHEUS_PARAMS)) {
      expect(['critical', 'warning']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      expect(rule.annotations.description.length).toBeGreaterThan(10);
      // Absolute, as Alertmanager and Grafana render it.
      expect(rule.annotations.runbook_url).toBe(
        `https://github.com/docuchat/docuchat/blob/main/docs/runbooks/alerts.md#${rule.alert.toLowerCase()}`,
      );
    }
  });
});

/**
 * The files in the ConfigMap `docuchat-prometheus-config`, laid out as the StatefulSet mounts them
 * (`/etc/prometheus/`), pass Debian's `promtool check config`: the rule file the configuration names is found
 * beside it and its rules load. Debian builds Prometheus without Kubernetes service discovery, so the test
 * swaps `kubernetes_sd_configs` for a static target before checking; the relabel rules and paths stay as they are.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PROMETHEUS_CONFIG_DIR } from '../components/prometheus.js';
import { resourceNames } from '../names.js';
import { STACKS } from '../stack-files.js';
import { find, objectsOf, raw } from './objects.js';

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('mounted Prometheus configuration', () => {
  it('has promtool to check with (apt-get install prometheus; .ci/run installs it)', () => {
    expect(promtool).toBe(true);
  });

  it.runIf(promtool).each(STACKS)('passes promtool check config for stack %s', (stack) => {
    const objects = objectsOf(stack);
    const data = raw(find(objects, 'ConfigMap', resourceNames.prometheusConfig)).data as Record<
      string,
      string
    >;
    const args: string[] = raw(find(objects, 'StatefulSet', resourceNames.prometheus)).spec.template.spec
      .containers[0].args;
    expect(args).toContain(`--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`);
    const dir = mkdtempSync(path.join(tmpdir(), 'docuchat-prometheus-'));
    try {
      for (const [file, content] of Object.entries(data)) writeFileSync(path.join(dir, file), content);
      const config = parse(data['prometheus.yml']!) as { scrape_configs: Array<Record<string, unknown>> };
      for (const job of config.scrape_configs) {
        expect(job.kubernetes_sd_configs).toBeDefined();
        delete job.kubernetes_sd_configs;
        job.static_configs = [{ targets: ['127.0.0.1:8000'] }];
      }
      writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
      const check = spawnSync('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')], {
        encoding: 'utf8',
      });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

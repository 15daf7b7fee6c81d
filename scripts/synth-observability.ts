/**
 * `npm run synth:observability`: renders the Prometheus configuration, alert rules, their promtool tests and the
 * Grafana dashboards and provisioning into `dist/prometheus/` and `dist/grafana/`, with the render-time defaults
 * (namespace docuchat-prod, a 1 GiB memory limit) until infra-ts renders them with its own values.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PROMETHEUS_PARAMS, renderPrometheusFiles, renderPromtoolTests } from '../alerts-ts/index.js';
import { renderGrafanaFiles } from '../dashboards-ts/index.js';

export const SYNTH_COMMAND = 'npm run synth:observability';

/** Every generated file, keyed by its path relative to the repository root. */
export function renderObservabilityFiles(): Readonly<Record<string, string>> {
  const files: Record<string, string> = {};
  const prometheus = {
    ...renderPrometheusFiles(DEFAULT_PROMETHEUS_PARAMS),
    ...renderPromtoolTests(DEFAULT_PROMETHEUS_PARAMS),
  };
  for (const [name, content] of Object.entries(prometheus)) files[`dist/prometheus/${name}`] = content;
  for (const [name, content] of Object.entries(renderGrafanaFiles())) files[`dist/grafana/${name}`] = content;
  return files;
}

/** The directories this script owns entirely: files in them that it no longer renders are removed. */
export const OWNED_DIRECTORIES = ['dist/prometheus', 'dist/grafana'] as const;

function main(): void {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  // `cdk8s synth` names the output directory in CDK8S_OUTDIR; the files go where dist/ would be.
  const root = process.env.CDK8S_OUTDIR ? path.resolve(process.env.CDK8S_OUTDIR, '..') : repo;
  const distName = process.env.CDK8S_OUTDIR ? path.basename(path.resolve(process.env.CDK8S_OUTDIR)) : 'dist';
  const files = Object.fromEntries(
    Object.entries(renderObservabilityFiles()).map(([k, v]) => [k.replace(/^dist\//, `${distName}/`), v]),
  );
  for (const dir of OWNED_DIRECTORIES.map((d) => d.replace(/^dist\//, `${distName}/`))) {
    mkdirSync(path.join(root, dir), { recursive: true });
    for (const entry of readdirSync(path.join(root, dir))) {
      if (!(`${dir}/${entry}` in files)) rmSync(path.join(root, dir, entry), { recursive: true });
    }
  }
  for (const [relative, content] of Object.entries(files)) {
    writeFileSync(path.join(root, relative), content);
    console.log(`wrote ${relative}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();

/**
 * The tool `cdk8s.yaml` names works: `npx cdk8s synth` (cdk8s-cli, a dev dependency installed by `npm ci` with
 * no install script or download) writes exactly what `npm run synth` wrote into the committed files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../synth.js';

function files(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((f) =>
      statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)).map((x) => `${f}/${x}`) : [f],
    )
    .sort();
}

const work = mkdtempSync(path.join(tmpdir(), 'docuchat-cdk8s-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npx cdk8s synth', () => {
  it('is the project’s own cdk8s-cli, run through npm run synth into cdk8s.yaml’s output', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(pkg.devDependencies['cdk8s-cli']).toMatch(/^\d+\.\d+\.\d+$/);
    const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/cdk8s-cli'].hasInstallScript).toBeUndefined();
    expect(existsSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk8s'))).toBe(true);
    const config = parse(readFileSync(path.join(REPO_ROOT, 'cdk8s.yaml'), 'utf8'));
    expect(config).toMatchObject({ language: 'typescript', app: 'npm run --silent synth', output: 'dist' });
  });

  it('writes the committed dist/ and docker-compose.yml byte for byte', () => {
    const out = path.join(work, 'dist');
    const run = spawnSync('npx', ['cdk8s', 'synth', '--output', out], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('Synthesizing application');
    expect(run.stderr).not.toContain('No manifests synthesized');
    const committed = path.join(REPO_ROOT, 'dist');
    expect(files(out)).toEqual(files(committed));
    for (const f of files(committed)) {
      expect(readFileSync(path.join(out, f), 'utf8'), f).toBe(readFileSync(path.join(committed, f), 'utf8'));
    }
    expect(readFileSync(path.join(work, 'docker-compose.yml'), 'utf8')).toBe(
      readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'),
    );
  });
});

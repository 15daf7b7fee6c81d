/**
 * `npm run infra:diff`: the review view of a change, computed between two real commits of a scratch repository
 * whose dist/ holds this project's own manifests, before and after an edit a reviewer must not miss.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../chart.js';
import { diffDist, distAtRef, renderDistDiff } from '../review/dist-diff.js';
import { fileNameFor, REPO_ROOT, renderObjectYaml } from '../synth.js';
import { find, objectsOf, raw } from './objects.js';

let repo: string;
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: repo,
    encoding: 'utf8',
  });

function commit(objects: readonly KubeObject[], message: string): string {
  const dir = path.join(repo, 'dist', 'k8s', 'prod');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const o of objects) writeFileSync(path.join(dir, fileNameFor(o)), renderObjectYaml(o));
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD').trim();
}

let report: string;
let before: string;
let after: string;

beforeAll(() => {
  repo = mkdtempSync(path.join(tmpdir(), 'docuchat-infra-diff-'));
  git('init', '-q');
  const objects = objectsOf('prod');
  before = commit(objects, 'base');

  const edited = objectsOf('prod');
  const backend = raw(find(edited, 'Deployment', 'docuchat-backend'));
  const container = backend.spec.template.spec.containers[0];
  container.resources.limits.memory = '2Gi';
  container.env.push({ name: 'FEATURE_X', value: 'on' });
  const postgres = raw(find(edited, 'StatefulSet', 'docuchat-postgresql'));
  postgres.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '80Gi';
  const policy = raw(find(edited, 'NetworkPolicy', 'docuchat-redis'));
  policy.spec.ingress[0].ports[0].port = 6380;
  const billing = raw(find(edited, 'CronJob', 'docuchat-billing'));
  const env = billing.spec.jobTemplate.spec.template.spec.containers[0].env;
  const secretRef = env.find((e: { valueFrom?: unknown }) => e.valueFrom);
  secretRef.valueFrom.secretKeyRef.name = 'docuchat-billing-secrets';
  const withoutPdb = edited.filter(
    (o) => !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'docuchat-frontend'),
  );
  after = commit(withoutPdb, 'edit');
  report = renderDistDiff(diffDist(distAtRef(repo, before), distAtRef(repo, after)), 'base', 'edit');
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('infra:diff', () => {
  it('names each changed field with its old and new value, by stack, kind and name', () => {
    expect(report).toContain('## prod');
    expect(report).toContain(
      'Deployment docuchat-backend: spec.template.spec.containers[backend].resources.limits.memory "1Gi" → "2Gi"',
    );
    expect(report).toContain(
      'Deployment docuchat-backend: spec.template.spec.containers[backend].env[FEATURE_X] (none) → {"name":"FEATURE_X","value":"on"}',
    );
    expect(report).toContain('PodDisruptionBudget docuchat-frontend: removed');
  });

  it('warns about replacements, deletions, Secrets and NetworkPolicies before the field list', () => {
    const warnings = report.split('\n').filter((l) => l.startsWith('WARNING: '));
    expect(warnings).toEqual([
      'WARNING: CronJob docuchat-billing changes which Secret it reads',
      'WARNING: NetworkPolicy docuchat-redis changes who may talk to whom',
      'WARNING: PodDisruptionBudget docuchat-frontend is deleted from the cluster',
      'WARNING: StatefulSet docuchat-postgresql: spec.volumeClaimTemplates is not changed on the running StatefulSet (immutable); a larger storage request grows its claim in place',
    ]);
    expect(report.indexOf('WARNING:')).toBeLessThan(report.indexOf('Deployment docuchat-backend:'));
  });

  it('warns that a replacement or a smaller volume is coming', () => {
    const objects = objectsOf('prod');
    const base = commit(objects, 'base again');
    const edited = objectsOf('prod');
    raw(find(edited, 'StatefulSet', 'docuchat-postgresql')).spec.serviceName = 'postgres';
    raw(find(edited, 'PersistentVolumeClaim', 'docuchat-backups')).spec.resources.requests.storage = '50Gi';
    const head = commit(edited, 'shrink');
    const text = renderDistDiff(diffDist(distAtRef(repo, base), distAtRef(repo, head)), 'a', 'b');
    expect(text).toContain(
      'WARNING: StatefulSet docuchat-postgresql is replaced (deleted, then created) because spec.serviceName cannot change in place',
    );
    expect(text).toContain(
      'WARNING: PersistentVolumeClaim docuchat-backups asks for less storage (100Gi → 50Gi): Kubernetes cannot shrink a volume and refuses the change',
    );
  });

  it('says so when nothing changed', () => {
    expect(renderDistDiff(diffDist(distAtRef(repo, after), distAtRef(repo, after)), 'a', 'b')).toBe(
      'No change to dist/ between a and b.\n',
    );
  });

  it('runs as npm run infra:diff on this repository and refuses a ref that does not exist', () => {
    const ok = spawnSync('npx', ['tsx', 'scripts/infra-diff.ts', 'HEAD', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('No change to dist/ between HEAD and HEAD.\n');
    const bad = spawnSync('npx', ['tsx', 'scripts/infra-diff.ts', 'no-such-ref'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('no-such-ref is not a commit');
    const usage = spawnSync('npx', ['tsx', 'scripts/infra-diff.ts'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });
});

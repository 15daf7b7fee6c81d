/**
 * The runbooks (and the deploy workflow's kubectl steps) name the resources the manifests really have: every
 * `kind/name`, namespace, label selector, port-forward port, backup claim and Pulumi secret key in their commands
 * is checked against dist/k8s/<stack>/ and the typed infrastructure, so an operator at 3 a.m. never types a name
 * that does not exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { resourceNames } from '../infra-ts/names.js';
import { SECRET_CONFIG_KEYS } from '../infra-ts/secrets.js';
import { parseStackConfig } from '../infra-ts/stack-config.js';

const root = path.resolve(import.meta.dirname, '..');
const runbookDir = path.join(root, 'docs', 'runbooks');

const REQUIRED_RUNBOOKS = [
  'rotate-secrets.md',
  'recovery-db.md',
  'rollback.md',
  'disaster-recovery.md',
  'scale-gpu.md',
];
/** Namespaces of the two stacks; commands in other namespaces (ingress-nginx, cert-manager, ...) are not ours. */
const STACK_NAMESPACES: Record<string, string> = { 'docuchat-prod': 'prod', 'docuchat-dev': 'dev' };
const FOREIGN_NAMESPACES = ['ingress-nginx', 'cert-manager', 'gpu-operator', 'kube-system'];

const KIND_ALIASES: Record<string, string> = {
  deploy: 'deployment',
  deployment: 'deployment',
  sts: 'statefulset',
  statefulset: 'statefulset',
  cj: 'cronjob',
  cronjob: 'cronjob',
  job: 'job',
  po: 'pod',
  pod: 'pod',
  svc: 'service',
  service: 'service',
  pvc: 'persistentvolumeclaim',
  persistentvolumeclaim: 'persistentvolumeclaim',
  secret: 'secret',
  cm: 'configmap',
  configmap: 'configmap',
  hpa: 'horizontalpodautoscaler',
  horizontalpodautoscaler: 'horizontalpodautoscaler',
  ing: 'ingress',
  ingress: 'ingress',
  netpol: 'networkpolicy',
  networkpolicy: 'networkpolicy',
  pdb: 'poddisruptionbudget',
  poddisruptionbudget: 'poddisruptionbudget',
  sa: 'serviceaccount',
  serviceaccount: 'serviceaccount',
};
const REF = new RegExp(`\\b(${Object.keys(KIND_ALIASES).join('|')})/([a-z0-9][a-z0-9.-]*)`, 'g');

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    ports?: Array<{ port: number }>;
    volumeClaimTemplates?: Array<{ metadata: { name: string } }>;
    template?: { metadata?: { labels?: Record<string, string> } };
    jobTemplate?: { metadata?: { labels?: Record<string, string> } };
  };
}

/** What a stack's rendered manifests offer: `kind/name` keys, Service ports, component label values. */
function stackInventory(stack: string) {
  const dir = path.join(root, 'dist', 'k8s', stack);
  if (!existsSync(dir)) throw new Error(`dist/k8s/${stack}/ is missing: run npm run synth`);
  const objects = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJSON() as K8sObject),
    );
  const resources = new Set<string>();
  const servicePorts = new Map<string, number[]>();
  const components = new Set<string>();
  for (const o of objects) {
    const kind = o.kind.toLowerCase();
    resources.add(`${kind}/${o.metadata.name}`);
    // A StatefulSet's claims are created by its controller as <template>-<statefulset>-<ordinal>.
    for (const t of o.spec?.volumeClaimTemplates ?? []) {
      resources.add(`persistentvolumeclaim/${t.metadata.name}-${o.metadata.name}-0`);
    }
    if (kind === 'service')
      servicePorts.set(
        o.metadata.name,
        (o.spec?.ports ?? []).map((p) => p.port),
      );
    for (const labels of [
      o.metadata.labels,
      o.spec?.template?.metadata?.labels,
      o.spec?.jobTemplate?.metadata?.labels,
    ]) {
      const component = labels?.['app.kubernetes.io/component'];
      if (component) components.add(component);
    }
  }
  // The Secret is created by the Pulumi program from encrypted stack config, so its values never reach dist/.
  resources.add(`secret/${resourceNames.secret}`);
  return { resources, servicePorts, components };
}

const inventories = { prod: stackInventory('prod'), dev: stackInventory('dev') };

/** Shell lines of a Markdown file's fenced code blocks, continuation lines joined. */
function codeLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```[\w-]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'));
}

/** Shell lines of the workflows' `run:` steps, with `$NAMESPACE` read as the prod namespace. */
function workflowLines(): Array<{ file: string; lines: string[] }> {
  const dir = path.join(root, '.github', 'workflows');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((file) => {
      const wf = parse(readFileSync(path.join(dir, file), 'utf8')) as {
        jobs: Record<string, { steps?: Array<{ run?: string }> }>;
      };
      const runs = Object.values(wf.jobs).flatMap((j) => (j.steps ?? []).map((s) => s.run ?? ''));
      return {
        file: `.github/workflows/${file}`,
        lines: runs
          .join('\n')
          .replace(/"\$NAMESPACE"/g, 'docuchat-prod')
          .replace(/\\\n\s*/g, ' ')
          .split('\n'),
      };
    });
}

/** Names and component labels a document defines itself (a pod it applies, a construct it proposes). */
function definedIn(text: string) {
  const names = new Set([...text.matchAll(/\bname:\s*['"]?([a-z0-9][a-z0-9.-]*)/g)].map((m) => m[1]!));
  const components = new Set(
    [...text.matchAll(/['"]?app\.kubernetes\.io\/component['"]?:\s*['"]?([a-z0-9-]+)/g)].map((m) => m[1]!),
  );
  return { names, components };
}

/** Every problem with the resource names in `lines`, as readable sentences. */
function problemsIn(source: string, text: string, lines: string[]): string[] {
  const defined = definedIn(text);
  const problems: string[] = [];
  for (const line of lines) {
    if (!/\b(kubectl|helm)\b/.test(line)) continue;
    const ns = /(?:\s-n|--namespace)[=\s]+([a-z0-9-]+)/.exec(line)?.[1];
    if (ns && FOREIGN_NAMESPACES.includes(ns)) continue;
    if (ns && !(ns in STACK_NAMESPACES))
      problems.push(`${source}: unknown namespace ${ns} in: ${line.trim()}`);
    const stack = ns ? (STACK_NAMESPACES[ns] as 'prod' | 'dev' | undefined) : 'prod';
    if (!stack) continue;
    const inventory = inventories[stack];
    for (const [, alias, name] of line.matchAll(REF)) {
      const kind = KIND_ALIASES[alias!]!;
      if (defined.names.has(name!)) continue;
      // Jobs made by hand from a CronJob carry a generated suffix (`manual-billing-<suffix>`).
      if (kind === 'job' && name!.endsWith('-')) continue;
      if (!inventory.resources.has(`${kind}/${name}`)) {
        problems.push(
          `${source}: ${alias}/${name} does not exist in dist/k8s/${stack}/ (in: ${line.trim()})`,
        );
      }
    }
    const forward = /port-forward\b.*\b(?:svc|service)\/([a-z0-9-]+)\s+\d+:(\d+)/.exec(line);
    if (forward && !defined.names.has(forward[1]!)) {
      const ports = inventory.servicePorts.get(forward[1]!) ?? [];
      if (!ports.includes(Number(forward[2]))) {
        problems.push(
          `${source}: Service ${forward[1]} has no port ${forward[2]} (it has ${ports.join(', ')})`,
        );
      }
    }
    for (const [, component] of line.matchAll(/app\.kubernetes\.io\/component=([a-z0-9-]+)/g)) {
      if (!inventory.components.has(component!) && !defined.components.has(component!)) {
        problems.push(`${source}: no object carries app.kubernetes.io/component=${component}`);
      }
    }
    for (const [, claim] of line.matchAll(/claimName:\s*([a-z0-9-]+)/g)) {
      if (!inventory.resources.has(`persistentvolumeclaim/${claim}`)) {
        problems.push(`${source}: claim ${claim} does not exist in dist/k8s/${stack}/`);
      }
    }
  }
  return problems;
}

const runbooks = readdirSync(runbookDir)
  .filter((f) => f.endsWith('.md'))
  .sort();

describe('runbooks', () => {
  it('cover secrets, database recovery, rollback, disaster recovery and GPUs', () => {
    expect(runbooks).toEqual(expect.arrayContaining(REQUIRED_RUNBOOKS));
  });

  it('are indexed in README.md, and every link there leads to a runbook', () => {
    const index = readFileSync(path.join(runbookDir, 'README.md'), 'utf8');
    const links = [...index.matchAll(/\]\(([\w.-]+\.md)(?:#[\w-]+)?\)/g)].map((m) => m[1]!);
    expect(links).toEqual(expect.arrayContaining([...REQUIRED_RUNBOOKS, 'alerts.md']));
    expect(links.filter((l) => !existsSync(path.join(runbookDir, l)))).toEqual([]);
  });

  it('link only to runbooks and sections that exist', () => {
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\w\s-]/g, '')
        .trim()
        .replace(/\s+/g, '-');
    const broken: string[] = [];
    for (const file of runbooks) {
      const text = readFileSync(path.join(runbookDir, file), 'utf8');
      for (const [, target, anchor] of text.matchAll(/\]\(([\w.-]*\.md)?(?:#([\w-]+))?\)/g)) {
        const linked = target ?? file;
        const full = path.join(runbookDir, linked);
        if (!existsSync(full)) {
          broken.push(`${file} → ${linked}`);
          continue;
        }
        const headings = [...readFileSync(full, 'utf8').matchAll(/^#+\s+(.*)$/gm)].map((m) => slug(m[1]!));
        if (anchor && !headings.includes(anchor)) broken.push(`${file} → ${linked}#${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(runbooks)('%s names only resources that exist in dist/k8s/', (file) => {
    // A runbook may use what another one creates (disaster recovery reuses the restore pod of recovery-db.md).
    const all = runbooks.map((f) => readFileSync(path.join(runbookDir, f), 'utf8')).join('\n');
    const text = readFileSync(path.join(runbookDir, file), 'utf8');
    expect(problemsIn(file, all, codeLines(text))).toEqual([]);
  });

  it.each(runbooks)('%s sets only Pulumi secrets the stack reads, and config paths it accepts', (file) => {
    const lines = codeLines(readFileSync(path.join(runbookDir, file), 'utf8'));
    for (const line of lines) {
      const secret = /pulumi config set --secret\s+(?:--\S+\s+)*(?:docuchat:)?([\w.]+)/.exec(line)?.[1];
      if (secret) expect(SECRET_CONFIG_KEYS.has(secret), `${file}: ${line.trim()}`).toBe(true);
      const pathKey = /pulumi config set\s+(?:--\S+\s+)*--path\s+(?:docuchat:)?([\w.]+)\s+(\S+)/.exec(line);
      if (pathKey) {
        const prod = parse(readFileSync(path.join(root, 'Pulumi.prod.yaml'), 'utf8')) as { config: object };
        const values: Record<string, unknown> = Object.fromEntries(
          Object.entries(prod.config).map(([k, v]) => [k.replace(/^docuchat:/, ''), v]),
        );
        const parts = pathKey[1]!.split('.');
        let node = values;
        for (const part of parts.slice(0, -1)) {
          node[part] ??= {};
          node = node[part] as Record<string, unknown>;
        }
        node[parts.at(-1)!] = pathKey[2];
        expect(() => parseStackConfig('prod', values), `${file}: ${line.trim()}`).not.toThrow();
      }
    }
  });
});

describe('the name checks themselves', () => {
  it('catch a misspelt resource, a wrong namespace and a wrong Service port', () => {
    const lines = [
      'kubectl rollout restart deployment/docuchat-backnd -n docuchat-prod',
      'kubectl get pods -n docuchat-production',
      'kubectl port-forward -n docuchat-prod svc/docuchat-grafana 3000:3001',
      'kubectl get pvc/data-docuchat-postgresql-0 -n docuchat-prod',
    ];
    const problems = problemsIn('example.md', '', lines);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/deployment\/docuchat-backnd does not exist/);
    expect(problems.join('\n')).toMatch(/unknown namespace docuchat-production/);
    expect(problems.join('\n')).toMatch(/Service docuchat-grafana has no port 3001/);
  });
});

describe('workflows', () => {
  it.each(workflowLines())('$file names only resources that exist in dist/k8s/', ({ file, lines }) => {
    expect(problemsIn(file, '', lines)).toEqual([]);
  });
});

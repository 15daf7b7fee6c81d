/**
 * A reviewer's view of a change to `dist/`: which objects of which stack change, field by field
 * (`Deployment docuchat-backend: spec.replicas 2 → 3`), with a warning line for what deserves a second look: a
 * change Pulumi can only make by replacing the object, an object removed, a Secret or a reference to one, a
 * NetworkPolicy. `npm run infra:diff -- <base-ref>` prints it; the pull-request workflow posts it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { diffLines } from 'diff';
import microdiff from 'microdiff';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../chart.js';
import { ignoredChanges } from '../pulumi/protection.js';

/** One generated file: its path under `dist/` and its parsed content (as kubectl reads YAML: 1.1). */
export type DistTree = ReadonlyMap<string, unknown>;

/** The files of `dist/` at a git ref (`HEAD`, `origin/main`, a commit). */
export function distAtRef(repo: string, ref: string): DistTree {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  try {
    git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
  } catch {
    throw new Error(`${ref} is not a commit in ${repo} (fetch it first, e.g. git fetch origin main)`);
  }
  const files = git('ls-tree', '-r', '--name-only', ref, '--', 'dist/').split('\n').filter(Boolean);
  return new Map(files.map((f) => [f.slice('dist/'.length), parseFile(f, git('show', `${ref}:${f}`))]));
}

/** The files of a `dist/` directory on disk (the working tree). */
export function distInDirectory(distDir: string): DistTree {
  const files = new Map<string, unknown>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const relative = path.relative(distDir, full).split(path.sep).join('/');
        files.set(relative, parseFile(relative, readFileSync(full, 'utf8')));
      }
    }
  };
  if (existsSync(distDir)) walk(distDir);
  return files;
}

function parseFile(name: string, text: string): unknown {
  if (name.endsWith('.json')) return JSON.parse(text);
  if (/\.ya?ml$/.test(name)) {
    const documents = parseAllDocuments(text, { version: '1.1' });
    const list = Array.isArray(documents) ? documents.map((d) => d.toJS()) : [];
    return list.length === 1 ? list[0] : list;
  }
  return text;
}

export interface ObjectChange {
  /** `prod`, `dev`, or the folder of a file outside `dist/k8s` (`prometheus`, `grafana`). */
  readonly group: string;
  /** `Deployment docuchat-backend`, or the file name outside `dist/k8s`. */
  readonly title: string;
  readonly kind?: string;
  readonly status: 'added' | 'removed' | 'changed';
  readonly fields: readonly string[];
  readonly warnings: readonly string[];
}

type Json = Record<string, unknown>;

/**
 * Lists whose items are named (containers, env, ports, volumes, ...) are keyed by name, so inserting one item
 * reads as one added item, not as every later item changed.
 */
function keyedByName(value: unknown): unknown {
  if (Array.isArray(value)) {
    const named =
      value.length > 0 &&
      value.every((v) => v && typeof v === 'object' && typeof (v as Json).name === 'string') &&
      new Set(value.map((v) => (v as Json).name)).size === value.length;
    if (named) return Object.fromEntries(value.map((v) => [`[${(v as Json).name}]`, keyedByName(v)]));
    return value.map(keyedByName);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, keyedByName(v)]));
  }
  return value;
}

function pathText(segments: readonly (string | number)[]): string {
  return segments
    .map((s) =>
      typeof s === 'number'
        ? `[${s}]`
        : s.startsWith('[')
          ? s
          : /^[A-Za-z_$][\w$-]*$/.test(s)
            ? `.${s}`
            : `[${JSON.stringify(s)}]`,
    )
    .join('')
    .replace(/^\./, '');
}

const SHORT = 100;

function valueText(value: unknown): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'string')
    return value.includes('\n') ? `(${value.split('\n').length} lines)` : JSON.stringify(value);
  const text = JSON.stringify(value);
  return text.length <= SHORT ? text : `(${Array.isArray(value) ? `${value.length} items` : 'object'})`;
}

/** `before → after` for one field, with the changed lines of a long text (scripts, embedded files) below it. */
function fieldLines(where: string, before: unknown, after: unknown): string[] {
  const head = `${where} ${valueText(before)} → ${valueText(after)}`;
  if (
    typeof before !== 'string' ||
    typeof after !== 'string' ||
    !(before.includes('\n') || after.includes('\n'))
  )
    return [head];
  const lines = [`${where} text changed:`];
  for (const part of diffLines(before, after)) {
    if (!part.added && !part.removed) continue;
    for (const line of part.value.replace(/\n$/, '').split('\n'))
      lines.push(`    ${part.added ? '+' : '-'} ${line}`);
  }
  return lines;
}

/**
 * Fields whose change Pulumi's Kubernetes provider makes by deleting and recreating the object (the API refuses
 * to update them in place). `*` means any field below.
 */
const REPLACE_ON_CHANGE: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec.selector'],
  StatefulSet: ['spec.selector', 'spec.serviceName', 'spec.volumeClaimTemplates', 'spec.podManagementPolicy'],
  DaemonSet: ['spec.selector'],
  Job: ['spec.selector', 'spec.template'],
  Service: ['spec.clusterIP', 'spec.clusterIPs', 'spec.type'],
  PersistentVolumeClaim: [
    'spec.accessModes',
    'spec.storageClassName',
    'spec.volumeMode',
    'spec.volumeName',
    'spec.selector',
    'spec.dataSource',
  ],
  StorageClass: ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode'],
  RoleBinding: ['roleRef'],
  ClusterRoleBinding: ['roleRef'],
  PodDisruptionBudget: [],
  ConfigMap: ['immutable'],
};

function objectTitle(object: Json): { kind: string; name: string } {
  return {
    kind: String(object.kind ?? 'Object'),
    name: String((object.metadata as Json | undefined)?.name ?? '?'),
  };
}

const BYTES: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** Bytes of a storage quantity (`20Gi`, `500M`), or NaN. */
function storageBytes(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  return m ? Number(m[1]) * BYTES[m[2] ?? '']! : Number.NaN;
}

function warningsFor(
  object: Json | undefined,
  kind: string,
  name: string,
  status: ObjectChange['status'],
  paths: string[],
  changes: readonly FieldChange[] = [],
): string[] {
  const warnings: string[] = [];
  const title = `${kind} ${name}`;
  if (status === 'removed') warnings.push(`${title} is deleted from the cluster`);
  if (status === 'changed') {
    const touches = (field: string) =>
      paths.some((p) => p === field || p.startsWith(`${field}.`) || p.startsWith(`${field}[`));
    // Fields the Pulumi program leaves alone on an existing object (the database's claim templates).
    const ignored = object ? ignoredChanges(object as unknown as KubeObject) : [];
    for (const field of ignored.filter(touches)) {
      warnings.push(
        `${title}: ${field} is not changed on the running StatefulSet (immutable); a larger storage request grows its claim in place`,
      );
    }
    const replacing = (REPLACE_ON_CHANGE[kind] ?? []).filter(
      (field) => touches(field) && !ignored.includes(field),
    );
    for (const c of changes) {
      if (/resources\.requests\.storage$/.test(c.path) && storageBytes(c.after) < storageBytes(c.before)) {
        warnings.push(
          `${title} asks for less storage (${String(c.before)} → ${String(c.after)}): Kubernetes cannot shrink a volume and refuses the change`,
        );
      }
    }
    if (replacing.length > 0)
      warnings.push(
        `${title} is replaced (deleted, then created) because ${replacing.join(', ')} cannot change in place`,
      );
    if (paths.some((p) => p === 'apiVersion'))
      warnings.push(`${title} changes apiVersion: Pulumi replaces it`);
  }
  if (kind === 'Secret') warnings.push(`${title} is a Secret`);
  else if (paths.some((p) => /secretKeyRef|secretName|secretRef|\.secret\b/.test(p)))
    warnings.push(`${title} changes which Secret it reads`);
  if (kind === 'NetworkPolicy') warnings.push(`${title} changes who may talk to whom`);
  return warnings;
}

function k8sObjects(tree: DistTree): Map<string, { group: string; object: Json }> {
  const objects = new Map<string, { group: string; object: Json }>();
  for (const [file, content] of tree) {
    const m = /^k8s\/([^/]+)\/[^/]+\.ya?ml$/.exec(file);
    if (!m || !content || typeof content !== 'object' || Array.isArray(content)) continue;
    const { kind, name } = objectTitle(content as Json);
    objects.set(`${m[1]}\u0000${kind}\u0000${name}`, { group: m[1]!, object: content as Json });
  }
  return objects;
}

interface FieldChange {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

function fieldChanges(
  before: unknown,
  after: unknown,
): { paths: string[]; lines: string[]; changes: FieldChange[] } {
  const a = keyedByName(before) as Json;
  const b = keyedByName(after) as Json;
  const paths: string[] = [];
  const lines: string[] = [];
  const changes: FieldChange[] = [];
  // Lists of plain values (args, hosts) compare whole, so `--appendonly no → yes` reads as one list change.
  const wholeArrays = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.every((v) => v === null || typeof v !== 'object')
        ? JSON.stringify(x)
        : x.map(wholeArrays)
      : x && typeof x === 'object'
        ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, wholeArrays(v)]))
        : x;
  for (const change of microdiff(wholeArrays(a) as Json, wholeArrays(b) as Json)) {
    const where = pathText(change.path);
    const at = (root: Json) =>
      change.path.reduce<unknown>((node, key) => (node as Json | undefined)?.[key as string], root);
    paths.push(where);
    changes.push({ path: where, before: at(a), after: at(b) });
    lines.push(...fieldLines(where, at(a), at(b)));
  }
  return { paths, lines, changes };
}

/** Every object and file that differs between two `dist/` trees, grouped by stack, then kind and name. */
export function diffDist(base: DistTree, head: DistTree): ObjectChange[] {
  const changes: ObjectChange[] = [];
  const before = k8sObjects(base);
  const after = k8sObjects(head);
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [group, kind, name] = key.split('\u0000') as [string, string, string];
    const a = before.get(key)?.object;
    const b = after.get(key)?.object;
    const status = !a ? 'added' : !b ? 'removed' : 'changed';
    const {
      paths,
      lines,
      changes: fields,
    } = a && b ? fieldChanges(a, b) : { paths: [], lines: [], changes: [] };
    if (status === 'changed' && paths.length === 0) continue;
    changes.push({
      group,
      kind,
      title: `${kind} ${name}`,
      status,
      fields: lines,
      warnings: warningsFor(b ?? a, kind, name, status, status === 'added' ? ['(new)'] : paths, fields),
    });
  }
  // Files outside dist/k8s: the rendered Prometheus and Grafana defaults (the ConfigMaps above hold the real ones).
  const others = (t: DistTree) => [...t.keys()].filter((f) => !f.startsWith('k8s/'));
  for (const file of [...new Set([...others(base), ...others(head)])].sort()) {
    const a = base.get(file);
    const b = head.get(file);
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const status = a === undefined ? 'added' : b === undefined ? 'removed' : 'changed';
    const group = file.includes('/') ? file.slice(0, file.indexOf('/')) : '.';
    changes.push({
      group,
      title: file,
      status,
      fields: status === 'changed' ? fieldChanges(a, b).lines : [],
      warnings: [],
    });
  }
  return changes;
}

/** The review text: one section per stack, warnings first, then each object's changed fields. */
export function renderDistDiff(
  changes: readonly ObjectChange[],
  baseLabel: string,
  headLabel: string,
): string {
  if (changes.length === 0) return `No change to dist/ between ${baseLabel} and ${headLabel}.\n`;
  const out: string[] = [`dist/ changes from ${baseLabel} to ${headLabel}`];
  const groups = [...new Set(changes.map((c) => c.group))];
  for (const group of groups) {
    const inGroup = changes.filter((c) => c.group === group);
    out.push('', `## ${group}`);
    for (const c of inGroup) for (const w of c.warnings) out.push(`WARNING: ${w}`);
    for (const c of inGroup) {
      if (c.status === 'added') out.push(`${c.title}: added`);
      else if (c.status === 'removed') out.push(`${c.title}: removed`);
      else for (const line of c.fields) out.push(line.startsWith('    ') ? line : `${c.title}: ${line}`);
    }
  }
  return `${out.join('\n')}\n`;
}

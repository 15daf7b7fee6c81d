/**
 * The files of `dist/k8s/<stack>/` read back as the tools that apply them read them: kubectl, Helm and
 * Pulumi's YAML support use YAML 1.1 readers (Go's yaml.v2), most JavaScript and Python tools YAML 1.2. Checks
 * run on these parsed files, not on the objects in memory, so they judge what reviewers read and tools apply.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './kube-object.js';

export type YamlVersion = '1.1' | '1.2';

export interface DistFile {
  /** File name within the stack's directory, e.g. `deployment-docuchat-backend.yaml`. */
  readonly name: string;
  readonly object: KubeObject;
}

/** Parses one YAML document as a reader of that YAML version does; several documents or a warning are errors. */
export function parseYamlAs(text: string, version: YamlVersion, where: string): unknown {
  const documents = parseAllDocuments(text, { version, strict: true, uniqueKeys: true });
  if (!Array.isArray(documents)) return null;
  if (documents.length !== 1)
    throw new Error(`${where}: expected one YAML document, found ${documents.length}`);
  const [document] = documents;
  const problems = [...document!.errors, ...document!.warnings];
  if (problems.length > 0) throw new Error(`${where}: ${problems.map((p) => p.message).join('; ')}`);
  return document!.toJS({ maxAliasCount: 0 });
}

/** Every `*.yaml` file of a stack's directory, parsed as a YAML `version` reader parses it, by file name. */
export function readDistFiles(stackDir: string, version: YamlVersion): DistFile[] {
  return readdirSync(stackDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((name) => ({
      name,
      object: parseYamlAs(readFileSync(path.join(stackDir, name), 'utf8'), version, name) as KubeObject,
    }));
}

/**
 * Reads a stack's configuration from `Pulumi.<stack>.yaml` at the repository root, the file `pulumi up` reads
 * too, so the reviewed manifests and the applied ones come from the same values.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseStackConfig, type StackConfig, StackConfigError } from './stack-config.js';

/** The stacks `npm run synth:k8s` renders. */
export const STACKS = ['dev', 'prod'] as const;
export type StackName = (typeof STACKS)[number];

export const PROJECT_NAMESPACE = 'docuchat';

/** The `docuchat:` entries of a Pulumi stack file, prefix removed. */
export function projectValues(config: Record<string, unknown>): Record<string, unknown> {
  const prefix = `${PROJECT_NAMESPACE}:`;
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

export function readStackConfig(stack: string, rootDir: string): StackConfig {
  const file = path.join(rootDir, `Pulumi.${stack}.yaml`);
  let document: unknown;
  try {
    document = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StackConfigError(`Cannot read ${file}: ${(error as Error).message}`);
  }
  const config = (document as { config?: Record<string, unknown> } | null)?.config ?? {};
  return parseStackConfig(stack, projectValues(config));
}

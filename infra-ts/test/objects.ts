/** Test helpers: the synthesized objects of a stack, looked up by kind and name. */
import type { KubeObject } from '../chart.js';
import { stackObjects } from '../synth.js';
import { type PodTemplateView, podTemplateOf } from '../validation/kube-object.js';

const cache = new Map<string, KubeObject[]>();

/** A fresh deep copy of a stack's objects (tests may mutate it). */
export function objectsOf(stack: 'dev' | 'prod'): KubeObject[] {
  if (!cache.has(stack)) cache.set(stack, stackObjects(stack));
  return structuredClone(cache.get(stack)!);
}

export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`,
    );
  return found;
}

export function podOf(objects: readonly KubeObject[], kind: string, name: string): PodTemplateView {
  return podTemplateOf(find(objects, kind, name))!;
}

/** Loosely typed access for assertions on deep fields. */
// biome-ignore lint/suspicious/noExplicitAny: assertions walk arbitrary manifest fields.
export function raw(object: unknown): any {
  return object;
}

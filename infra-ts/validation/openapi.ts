/**
 * Strict validation against the schema the target cluster serves: the OpenAPI v2 definitions of Kubernetes
 * {@link KUBERNETES_VERSION} (vendored under `schemas/`, see its README) and the CRDs DocuChat uses, compiled
 * with ajv. Strict as `kubectl --validate=strict` is: a field the schema does not declare is an error (the API
 * server would drop it silently), and so are wrong types, missing required fields, values outside an enum,
 * integers outside int32, malformed quantities and duplicate keys in lists the API merges by key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { KubeObject } from './kube-object.js';
import { describe } from './kube-object.js';

/** The Kubernetes version DocuChat targets; the vendored definitions are the ones its API server serves. */
export const KUBERNETES_VERSION = '1.28.0';

const SCHEMA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'schemas');

type Schema = Record<string, unknown>;

interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** The CRDs of the custom resources DocuChat synthesizes, by file (their `openAPIV3Schema` for one version). */
const CUSTOM_RESOURCE_SCHEMAS = ['verticalpodautoscaler-v1.json'] as const;

const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * One schema node made strict and ajv-readable. OpenAPI v2 leaves `additionalProperties` open; the API server
 * prunes what it does not know, so every object with declared properties gets `additionalProperties: false`
 * unless it says `x-kubernetes-preserve-unknown-fields`. IntOrString and Quantity accept what the API accepts.
 */
function strict(node: unknown, definitions: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => strict(n, false));
  if (!node || typeof node !== 'object') return node;
  const schema = node as Schema;
  if (definitions) {
    return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, strict(v, false)]));
  }
  if (schema.format === 'int-or-string') return { anyOf: [{ type: 'string' }, { type: 'integer' }] };
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Schema).map(([k, v]) => [k, strict(v, false)]),
      );
    } else if (key === 'enum' && Array.isArray(value)) {
      // Deprecated spellings make some enums list a value twice (externalTrafficPolicy); ajv wants a set.
      out.enum = [...new Set(value)];
    } else {
      out[key] = strict(value, false);
    }
  }
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function groupOf(apiVersion: string): { group: string; version: string } {
  const cut = apiVersion.lastIndexOf('/');
  return cut < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, cut), version: apiVersion.slice(cut + 1) };
}

function keyOf(gvk: GroupVersionKind): string {
  return `${gvk.group ? `${gvk.group}/` : ''}${gvk.version}/${gvk.kind}`;
}

interface Validators {
  /** `group/version/kind` → a function compiling that kind's validator (ajv compiles a kind on first use). */
  readonly factories: ReadonlyMap<string, () => ValidateFunction>;
  readonly compiled: Map<string, ValidateFunction>;
}

let cached: Validators | undefined;

function loadJson(file: string): Schema {
  return JSON.parse(readFileSync(path.join(SCHEMA_DIR, file), 'utf8')) as Schema;
}

/** The validators of every kind the vendored schemas define. */
function validators(): Validators {
  if (cached) return cached;
  const document = loadJson(`kubernetes-${KUBERNETES_VERSION}.json`);
  const definitions = strict(document.definitions, true) as Record<string, Schema>;
  // Quantities are strings or numbers in the API, always in this grammar.
  definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = {
    anyOf: [{ type: 'string', pattern: QUANTITY_PATTERN }, { type: 'number' }],
  };
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  // Lists the API merges by key (containers by name, ports by containerPort and protocol, ...) must not repeat
  // a key: server-side apply, which Pulumi uses, rejects them.
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-map-keys',
    type: 'array',
    errors: true,
    validate: function uniqueKeys(keys: string[], data: unknown[]) {
      const seen = new Set<string>();
      for (const item of data) {
        const key = JSON.stringify(keys.map((k) => (item as Record<string, unknown>)?.[k] ?? null));
        if (seen.has(key)) {
          (uniqueKeys as unknown as { errors: Partial<ErrorObject>[] }).errors = [
            { message: `has two items with the same ${keys.join('+')} ${key}` },
          ];
          return false;
        }
        seen.add(key);
      }
      return true;
    },
  });
  ajv.addSchema({ $id: 'k8s', definitions });

  const lazy = new Map<string, () => ValidateFunction>();
  for (const [name, schema] of Object.entries(definitions)) {
    for (const gvk of (schema['x-kubernetes-group-version-kind'] as GroupVersionKind[] | undefined) ?? []) {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      lazy.set(keyOf(gvk), () =>
        ajv.compile({
          allOf: [{ $ref: `k8s#/definitions/${name}` }],
          required: ['apiVersion', 'kind', 'metadata'],
          properties: { apiVersion: { const: apiVersion }, kind: { const: gvk.kind } },
        }),
      );
    }
  }
  for (const file of CUSTOM_RESOURCE_SCHEMAS) {
    const crd = loadJson(file) as unknown as GroupVersionKind & { openAPIV3Schema: Schema };
    const apiVersion = `${crd.group}/${crd.version}`;
    const schema = strict(crd.openAPIV3Schema, false) as Schema;
    // The API server validates a custom resource's metadata as ObjectMeta, whatever the CRD says.
    (schema.properties as Schema).metadata = { $ref: `k8s#/definitions/${OBJECT_META}` };
    lazy.set(keyOf(crd), () =>
      ajv.compile({
        allOf: [schema],
        required: ['apiVersion', 'kind', 'metadata'],
        properties: { apiVersion: { const: apiVersion }, kind: { const: crd.kind } },
      }),
    );
  }
  cached = { factories: lazy, compiled: new Map() };
  return cached;
}

/** A JSON pointer as a path a reader recognises: `spec.ports[0]`, `metadata.annotations["a.b/c"]`. */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg) =>
      /^\d+$/.test(seg)
        ? `[${seg}]`
        : /^[A-Za-z_$][\w$]*$/.test(seg)
          ? `.${seg}`
          : `[${JSON.stringify(seg)}]`,
    )
    .join('')
    .replace(/^\./, '');
}

function formatError(error: ErrorObject): string {
  const at = fieldPath(error.instancePath);
  const where = at === '' ? '(object)' : at;
  if (error.keyword === 'additionalProperties') {
    const field = (error.params as { additionalProperty: string }).additionalProperty;
    return `${at === '' ? field : `${at}.${field}`} is not a field in Kubernetes ${KUBERNETES_VERSION}`;
  }
  if (error.keyword === 'pattern' && (error.params as { pattern: string }).pattern === QUANTITY_PATTERN) {
    return `${where} is not a Kubernetes quantity (such as 250m, 1 or 512Mi)`;
  }
  if (error.keyword === 'enum') {
    return `${where} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${where} ${error.message}`;
}

/**
 * Every schema error of every object, as `Kind/name: path problem`; empty when the API server of Kubernetes
 * {@link KUBERNETES_VERSION} (with the CRDs installed) would accept each object exactly as written.
 */
export function openApiErrors(objects: readonly KubeObject[]): string[] {
  const { factories, compiled } = validators();
  return objects.flatMap((object) => {
    const { group, version } = groupOf(String(object.apiVersion));
    const key = keyOf({ group, version, kind: String(object.kind) });
    if (!compiled.has(key) && factories.has(key)) compiled.set(key, factories.get(key)!());
    const validate = compiled.get(key);
    if (!validate) {
      return [
        `${describe(object)}: Kubernetes ${KUBERNETES_VERSION} serves no ${object.apiVersion} ${object.kind} (nor does any CRD in infra-ts/validation/schemas/)`,
      ];
    }
    if (validate(object)) return [];
    // An anyOf reports every branch; where one branch says more than "wrong type", keep only that.
    const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'allOf');
    const specific = new Set(errors.filter((e) => e.keyword !== 'type').map((e) => e.instancePath));
    const messages = errors
      .filter(
        (e) => !(e.keyword === 'type' && e.schemaPath.includes('/anyOf/') && specific.has(e.instancePath)),
      )
      .map(formatError);
    return [...new Set(messages)].map((m) => `${describe(object)}: ${m}`);
  });
}

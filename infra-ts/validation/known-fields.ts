/**
 * Unknown-field strictness. kubernetes-models' validators accept fields the API server would drop (a typo such
 * as `livenesProbe` silently disables a probe), so every synthesized object is also walked against the
 * TypeScript interfaces kubernetes-models generates from the same OpenAPI schema: any key the interface does
 * not declare is reported with its path.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { KubeObject } from './kube-object.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Custom resources we type ourselves: `apiVersion/kind` → module and interface name. */
const CUSTOM_RESOURCE_TYPES: Readonly<Record<string, { module: string; name: string }>> = {
  'autoscaling.k8s.io/v1/VerticalPodAutoscaler': {
    module: path.join(HERE, '..', 'components', 'vertical-pod-autoscaler.ts'),
    name: 'VerticalPodAutoscalerObject',
  },
};

/**
 * The kinds DocuChat synthesizes. Building the TypeScript program costs about a second, so it is built once for
 * all of them (plus any other kind a caller passes) rather than once per call.
 */
const SYNTHESIZED_TYPES = [
  'v1/Namespace',
  'v1/ConfigMap',
  'v1/Service',
  'v1/ServiceAccount',
  'v1/PersistentVolumeClaim',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'batch/v1/CronJob',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'policy/v1/PodDisruptionBudget',
  'networking.k8s.io/v1/Ingress',
  'networking.k8s.io/v1/NetworkPolicy',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
  ...Object.keys(CUSTOM_RESOURCE_TYPES),
];

/** True for custom resources typed here rather than by kubernetes-models. */
export function isTypedCustomResource(apiVersion: string, kind: string): boolean {
  return `${apiVersion}/${kind}` in CUSTOM_RESOURCE_TYPES;
}

/** The kubernetes-models module of an apiVersion (`apps/v1` → `kubernetes-models/apps/v1`). */
export function modelModule(apiVersion: string): string {
  return `kubernetes-models/${apiVersion}`;
}

function typeKey(object: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  return `${object.apiVersion}/${object.kind}`;
}

interface TypeIndex {
  readonly checker: ts.TypeChecker;
  readonly types: ReadonlyMap<string, ts.Type>;
}

let cached: { key: string; index: TypeIndex } | undefined;

/** One TypeScript program declaring a variable of each needed interface; built once per set of kinds. */
function typeIndex(keys: readonly string[]): TypeIndex {
  const key = [...keys].sort().join(',');
  if (cached?.key === key) return cached.index;
  const lines: string[] = [];
  keys.forEach((k, i) => {
    const custom = CUSTOM_RESOURCE_TYPES[k];
    if (custom) {
      lines.push(
        `import type { ${custom.name} as T${i} } from ${JSON.stringify(custom.module.replace(/\.ts$/, '.js'))};`,
      );
    } else {
      const cut = k.lastIndexOf('/');
      lines.push(
        `import type { I${k.slice(cut + 1)} as T${i} } from ${JSON.stringify(modelModule(k.slice(0, cut)))};`,
      );
    }
    lines.push(`export declare const v${i}: T${i};`);
  });
  const fileName = path.join(HERE, '__known_fields__.ts');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
    allowImportingTsExtensions: false,
  };
  const host = ts.createCompilerHost(options);
  const source = lines.join('\n');
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (name, languageVersion, onError) =>
    name === fileName
      ? ts.createSourceFile(name, source, languageVersion)
      : getSourceFile(name, languageVersion, onError);
  const fileExists = host.fileExists;
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(fileName)!;
  const types = new Map<string, ts.Type>();
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile)!;
  const exports = checker.getExportsOfModule(moduleSymbol);
  keys.forEach((k, i) => {
    const symbol = exports.find((s) => s.name === `v${i}`);
    if (!symbol) throw new Error(`no type for ${k}`);
    const type = checker.getTypeOfSymbol(symbol);
    if (type.flags & ts.TypeFlags.Any) throw new Error(`kubernetes-models has no type for ${k}`);
    types.set(k, type);
  });
  const index = { checker, types };
  cached = { key, index };
  return index;
}

function objectMembers(checker: ts.TypeChecker, type: ts.Type): ts.Type[] {
  const t = checker.getNonNullableType(type);
  const members = t.isUnion() ? t.types : [t];
  return members.filter((m) => (m.flags & ts.TypeFlags.Object) !== 0 || m.isIntersection());
}

function walk(
  checker: ts.TypeChecker,
  value: unknown,
  type: ts.Type,
  where: string,
  problems: string[],
): void {
  if (value === null || typeof value !== 'object') return;
  const candidates = objectMembers(checker, type);
  if (candidates.length === 0) return;
  if (Array.isArray(value)) {
    const arrayType = candidates.find((c) => checker.isArrayType(c) || checker.isTupleType(c));
    if (!arrayType) {
      problems.push(`${where} is a list, the schema expects ${checker.typeToString(type)}`);
      return;
    }
    const element = checker.getTypeArguments(arrayType as ts.TypeReference)[0];
    if (element)
      for (const [i, item] of value.entries()) walk(checker, item, element, `${where}[${i}]`, problems);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    let childType: ts.Type | undefined;
    for (const candidate of candidates) {
      const property = checker.getPropertyOfType(candidate, key);
      if (property) {
        childType = checker.getTypeOfSymbol(property);
        break;
      }
      const index = checker.getIndexTypeOfType(candidate, ts.IndexKind.String);
      if (index) {
        childType = index;
        break;
      }
    }
    if (!childType) {
      problems.push(`${where}.${key} is not a field of ${checker.typeToString(candidates[0]!)}`);
      continue;
    }
    walk(checker, child, childType, `${where}.${key}`, problems);
  }
}

/** Every key of every object that its schema does not declare, as `Kind/name: path is not a field of ...`. */
export function unknownFields(objects: readonly KubeObject[]): string[] {
  const keys = [...new Set([...SYNTHESIZED_TYPES, ...objects.map(typeKey)])];
  const { checker, types } = typeIndex(keys);
  return objects.flatMap((object) => {
    const problems: string[] = [];
    walk(checker, object, types.get(typeKey(object))!, '', problems);
    return problems.map((p) => `${object.kind}/${object.metadata.name}: ${p.replace(/^\./, '')}`);
  });
}

/**
 * Read-only views of synthesized Kubernetes objects for the checks: the pod template of any workload kind,
 * whether a label selector matches a set of labels.
 */
import type { KubeObject } from '../chart.js';

export type { KubeObject };

export interface ContainerView {
  name: string;
  image?: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
  };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

export interface PodSpecView {
  containers: ContainerView[];
  initContainers?: ContainerView[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: Array<{
    name: string;
    emptyDir?: unknown;
    persistentVolumeClaim?: { readOnly?: boolean };
    configMap?: unknown;
  }>;
}

export interface PodTemplateView {
  labels: Record<string, string>;
  spec: PodSpecView;
  /** Jobs (and CronJobs) run to completion: probes do not apply. */
  runsToCompletion: boolean;
}

export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
] as const;

type Template = { metadata?: { labels?: Record<string, string> }; spec?: PodSpecView };

/** The pod template of a workload, or undefined for other kinds. */
export function podTemplateOf(object: KubeObject): PodTemplateView | undefined {
  const spec = object.spec as Record<string, unknown> | undefined;
  let template: Template | undefined;
  if (object.kind === 'CronJob') {
    template = (spec?.jobTemplate as { spec?: { template?: Template } })?.spec?.template;
  } else if ((WORKLOAD_KINDS as readonly string[]).includes(object.kind)) {
    template = spec?.template as Template | undefined;
  } else if (object.kind === 'Pod') {
    template = { metadata: object.metadata, spec: object.spec as PodSpecView };
  }
  if (!template?.spec) return undefined;
  // A StatefulSet's claim templates become volumes of each pod.
  const claims = (
    (spec?.volumeClaimTemplates as Array<{ metadata?: { name?: string } }> | undefined) ?? []
  ).map((c) => ({ name: c.metadata?.name ?? '', persistentVolumeClaim: {} }));
  return {
    labels: template.metadata?.labels ?? {},
    spec: {
      ...template.spec,
      containers: template.spec.containers ?? [],
      volumes: [...(template.spec.volumes ?? []), ...claims],
    },
    runsToCompletion: object.kind === 'Job' || object.kind === 'CronJob',
  };
}

export function allContainers(spec: PodSpecView): ContainerView[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

export interface LabelSelectorView {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Kubernetes label-selector semantics; an empty selector matches everything. */
export function selectorMatches(
  selector: LabelSelectorView | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    if (e.operator === 'In' && !(has && e.values?.includes(value!))) return false;
    if (e.operator === 'NotIn' && has && e.values?.includes(value!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export function isEmptySelector(selector: LabelSelectorView | undefined): boolean {
  return (
    !selector ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
  );
}

export function describe(object: KubeObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

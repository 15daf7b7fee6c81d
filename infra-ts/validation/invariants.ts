/**
 * The deployment invariants, anchored on kube-linter's default checks, as plain functions over synthesized
 * objects. The tests run them over every stack; the Pulumi policy pack runs the same functions in
 * `pulumi preview --policy-pack`. Each message says why the rule matters and how to fix it.
 *
 * An object may be exempted from one check with the annotation `docuchat.io/exception-<check>: <reason>`;
 * an exception without a reason is itself a violation.
 */
import { parse } from 'yaml';
import { METRICS_PATH } from '../../app/config/http.js';
import { EXCEPTION_ANNOTATION_PREFIX, LABEL_COMPONENT, resourceNames } from '../names.js';
import {
  allContainers,
  describe,
  isEmptySelector,
  type KubeObject,
  type LabelSelectorView,
  podTemplateOf,
  selectorMatches,
} from './kube-object.js';

export interface Violation {
  readonly check: string;
  /** `Kind/name` of the offending object. */
  readonly object: string;
  readonly message: string;
}

type ObjectCheck = (object: KubeObject) => string[];
type StackCheck = (objects: readonly KubeObject[]) => Array<{ object: KubeObject; message: string }>;

/** Checks that need only the object itself (Pulumi: ResourceValidationPolicy). */
export const objectChecks: Readonly<Record<string, ObjectCheck>> = {
  'resource-requirements': (object) => {
    const pod = podTemplateOf(object);
    if (!pod) return [];
    const problems: string[] = [];
    for (const c of allContainers(pod.spec)) {
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (c.resources?.[kind]?.[resource] === undefined) {
            problems.push(
              `container ${c.name} sets no ${resource} ${kind}: without them the scheduler overcommits nodes and one pod can starve the others; set resources.${kind}.${resource}`,
            );
          }
        }
      }
    }
    return problems;
  },
  'liveness-and-readiness-probes': (object) => {
    const pod = podTemplateOf(object);
    if (!pod || pod.runsToCompletion) return [];
    return pod.spec.containers.flatMap((c) => [
      ...(c.livenessProbe
        ? []
        : [`container ${c.name} has no livenessProbe: a hung process is never restarted`]),
      ...(c.readinessProbe
        ? []
        : [`container ${c.name} has no readinessProbe: traffic reaches it before it can answer`]),
    ]);
  },
  'run-as-non-root': (object) => {
    const pod = podTemplateOf(object);
    if (!pod) return [];
    return allContainers(pod.spec).flatMap((c) => {
      const nonRoot = c.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
      const uid = c.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
      return nonRoot === true && uid !== 0
        ? []
        : [
            `container ${c.name} may run as root: a container escape then starts as root; set runAsNonRoot: true and a non-zero runAsUser`,
          ];
    });
  },
  'read-only-root-filesystem': (object) => {
    const pod = podTemplateOf(object);
    if (!pod) return [];
    const writableVolumes = new Set(
      (pod.spec.volumes ?? [])
        .filter(
          (v) => v.emptyDir !== undefined || (v.persistentVolumeClaim && !v.persistentVolumeClaim.readOnly),
        )
        .map((v) => v.name),
    );
    return allContainers(pod.spec).flatMap((c) => {
      if (c.securityContext?.readOnlyRootFilesystem !== true) {
        return [
          `container ${c.name} has a writable root file system: an intruder can change binaries; set readOnlyRootFilesystem: true and mount an emptyDir where it must write`,
        ];
      }
      const writable = (c.volumeMounts ?? []).some((m) => !m.readOnly && writableVolumes.has(m.name));
      return writable
        ? []
        : [
            `container ${c.name} has a read-only root and no writable mount: it will fail on its first write; mount an emptyDir (e.g. /tmp)`,
          ];
    });
  },
  'no-privilege-escalation': (object) => {
    const pod = podTemplateOf(object);
    if (!pod) return [];
    return allContainers(pod.spec)
      .filter((c) => c.securityContext?.allowPrivilegeEscalation !== false)
      .map(
        (c) =>
          `container ${c.name} allows privilege escalation (setuid binaries); set allowPrivilegeEscalation: false`,
      );
  },
  'pinned-image-tag': (object) => {
    const pod = podTemplateOf(object);
    if (!pod) return [];
    return allContainers(pod.spec).flatMap((c) => {
      const image = c.image ?? '';
      if (image.includes('@sha256:')) return [];
      const lastSegment = image.split('/').pop() ?? '';
      const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
      return tag && tag !== 'latest'
        ? []
        : [
            `container ${c.name} uses ${image || 'no image'} without a pinned tag: a restart may pull different code; use a version tag`,
          ];
    });
  },
};

/** Checks over the whole stack (Pulumi: StackValidationPolicy). */
export const stackChecks: Readonly<Record<string, StackCheck>> = {
  'pod-selected-by-network-policy': (objects) => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    return objects.flatMap((object) => {
      const pod = podTemplateOf(object);
      if (!pod) return [];
      // The namespace-wide default deny selects every pod; each pod also needs a policy of its own that says
      // what it may talk to, or it is simply cut off.
      const own = policies.some((p) => {
        const selector = (p.spec as { podSelector?: LabelSelectorView }).podSelector;
        return (
          !isEmptySelector(selector) &&
          selectorMatches(selector, pod.labels) &&
          p.metadata.namespace === object.metadata.namespace
        );
      });
      return own
        ? []
        : [
            {
              object,
              message:
                'its pods are selected by no NetworkPolicy of their own: add one naming the traffic they need',
            },
          ];
    });
  },
  'service-selects-pods-and-ports': (objects) => {
    const pods = objects.flatMap((o) => {
      const pod = podTemplateOf(o);
      return pod ? [{ namespace: o.metadata.namespace, pod }] : [];
    });
    return objects
      .filter((o) => o.kind === 'Service')
      .flatMap((service) => {
        const spec = service.spec as {
          selector?: Record<string, string>;
          ports?: Array<{ name?: string; port: number; targetPort?: number | string }>;
        };
        if (!spec.selector || Object.keys(spec.selector).length === 0) {
          return [{ object: service, message: 'has no selector: it routes to nothing we deploy' }];
        }
        const matching = pods.filter(
          (p) =>
            p.namespace === service.metadata.namespace &&
            selectorMatches({ matchLabels: spec.selector }, p.pod.labels),
        );
        if (matching.length === 0) {
          return [
            {
              object: service,
              message: `selects no pods (selector ${JSON.stringify(spec.selector)}): requests would fail`,
            },
          ];
        }
        return (spec.ports ?? []).flatMap((port) => {
          const target = port.targetPort ?? port.port;
          const exposed = matching.every((p) =>
            p.pod.spec.containers.some((c) =>
              (c.ports ?? []).some((cp) =>
                typeof target === 'number' ? cp.containerPort === target : cp.name === target,
              ),
            ),
          );
          return exposed
            ? []
            : [
                {
                  object: service,
                  message: `port ${port.port} targets ${target}, which its pods do not expose`,
                },
              ];
        });
      });
  },
  'no-replicas-on-autoscaled-workload': (objects) =>
    objects
      .filter((o) => o.kind === 'HorizontalPodAutoscaler')
      .flatMap((hpa) => {
        const ref = (hpa.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
        const target = objects.find(
          (o) =>
            o.kind === ref.kind &&
            o.metadata.name === ref.name &&
            o.metadata.namespace === hpa.metadata.namespace,
        );
        if (!target)
          return [{ object: hpa, message: `scales ${ref.kind}/${ref.name}, which does not exist` }];
        return (target.spec as { replicas?: number }).replicas === undefined
          ? []
          : [
              {
                object: target,
                message: `sets replicas although HorizontalPodAutoscaler/${hpa.metadata.name} scales it: every apply would reset the count the autoscaler chose; remove replicas`,
              },
            ];
      }),
  'prometheus-scrapes-backend': (objects) => {
    const configMap = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === resourceNames.prometheusConfig,
    );
    const backend = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === resourceNames.backend);
    if (!configMap || !backend) return [];
    const fail = (message: string) => [{ object: configMap, message }];
    const source = (configMap.data as Record<string, string> | undefined)?.['prometheus.yml'];
    if (!source) return fail('holds no prometheus.yml');
    const config = parse(source) as {
      scrape_configs?: Array<{
        metrics_path?: string;
        kubernetes_sd_configs?: Array<{ role: string; namespaces?: { names?: string[] } }>;
        relabel_configs?: Array<{ source_labels?: string[]; action?: string; regex?: string }>;
      }>;
    };
    const pod = podTemplateOf(backend)!;
    const component = pod.labels[LABEL_COMPONENT] ?? '';
    const labelMeta = `__meta_kubernetes_pod_label_${LABEL_COMPONENT.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    const ports = pod.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => String(p.containerPort)));
    const job = (config.scrape_configs ?? []).find((s) =>
      (s.relabel_configs ?? []).some(
        (r) => r.action === 'keep' && r.source_labels?.length === 1 && r.source_labels[0] === labelMeta,
      ),
    );
    if (!job) return fail(`no scrape job keeps pods by ${labelMeta}: the backend would not be scraped`);
    const problems: string[] = [];
    const anchored = (regex: string, value: string) => new RegExp(`^(?:${regex})$`).test(value);
    for (const r of job.relabel_configs ?? []) {
      if (r.action !== 'keep' || r.source_labels?.length !== 1) continue;
      if (r.source_labels[0] === labelMeta && !anchored(r.regex ?? '(.*)', component)) {
        problems.push(
          `the keep rule on ${labelMeta} (${r.regex}) does not match the backend pods' label ${component}`,
        );
      }
      if (
        r.source_labels[0] === '__meta_kubernetes_pod_container_port_number' &&
        !ports.some((p) => anchored(r.regex ?? '(.*)', p))
      ) {
        problems.push(
          `the keep rule on the container port (${r.regex}) matches none of the backend ports ${ports.join(', ')}`,
        );
      }
    }
    if ((job.metrics_path ?? '/metrics') !== METRICS_PATH) {
      problems.push(
        `scrapes ${job.metrics_path ?? '/metrics'}, but the backend serves metrics on ${METRICS_PATH}`,
      );
    }
    const namespaces = (job.kubernetes_sd_configs ?? []).flatMap((sd) => sd.namespaces?.names ?? []);
    if (namespaces.length > 0 && !namespaces.includes(backend.metadata.namespace ?? '')) {
      problems.push(
        `discovers pods in ${namespaces.join(', ')}, but the backend runs in ${backend.metadata.namespace}`,
      );
    }
    return problems.flatMap(fail);
  },
};

/** Reason given for exempting `object` from `check`, '' for an annotation without a reason, else undefined. */
function exceptionReason(object: KubeObject, check: string): string | undefined {
  const value = object.metadata.annotations?.[`${EXCEPTION_ANNOTATION_PREFIX}${check}`];
  return value === undefined ? undefined : value.trim();
}

function applyExceptions(check: string, object: KubeObject, messages: string[]): Violation[] {
  const reason = exceptionReason(object, check);
  if (reason === undefined) return messages.map((message) => ({ check, object: describe(object), message }));
  if (reason === '') {
    return [
      {
        check: 'exception-needs-reason',
        object: describe(object),
        message: `${EXCEPTION_ANNOTATION_PREFIX}${check} gives no reason: say why the exception is safe`,
      },
    ];
  }
  return [];
}

/** One per-object check, exceptions applied. */
export function runObjectCheck(check: string, object: KubeObject): Violation[] {
  const fn = objectChecks[check];
  if (!fn) throw new Error(`unknown object check ${check}`);
  return applyExceptions(check, object, fn(object));
}

/** One whole-stack check, exceptions applied; each violation names the object it is about. */
export function runStackCheck(
  check: string,
  objects: readonly KubeObject[],
): Array<Violation & { subject: KubeObject }> {
  const fn = stackChecks[check];
  if (!fn) throw new Error(`unknown stack check ${check}`);
  const byObject = new Map<KubeObject, string[]>();
  for (const { object, message } of fn(objects))
    byObject.set(object, [...(byObject.get(object) ?? []), message]);
  return [...byObject].flatMap(([object, messages]) =>
    applyExceptions(check, object, messages).map((v) => ({ ...v, subject: object })),
  );
}

export function checkObject(object: KubeObject): Violation[] {
  return Object.keys(objectChecks).flatMap((check) => runObjectCheck(check, object));
}

/** Every invariant over a whole stack; empty when the stack may be deployed. */
export function checkStack(objects: readonly KubeObject[]): Violation[] {
  return [
    ...objects.flatMap(checkObject),
    ...Object.keys(stackChecks).flatMap((check) =>
      runStackCheck(check, objects).map(({ check: c, object, message }) => ({ check: c, object, message })),
    ),
  ];
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.object} [${v.check}]: ${v.message}`).join('\n');
}

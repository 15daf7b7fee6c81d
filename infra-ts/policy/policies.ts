/**
 * The deployment invariants as Pulumi policies, for `pulumi preview --policy-pack infra-ts/policy`. They call the
 * same functions the tests run over `dist/k8s/`, so a rule is written once and holds in review, in CI and at
 * deploy time.
 */
import type {
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy';
import type { KubeObject } from '../chart.js';
import { objectChecks, runObjectCheck, runStackCheck, stackChecks } from '../validation/invariants.js';

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  'resource-requirements': 'Every container sets CPU and memory requests and limits.',
  'liveness-and-readiness-probes': 'Every long-running container has liveness and readiness probes.',
  'run-as-non-root': 'Every container runs as a non-root user.',
  'read-only-root-filesystem':
    'Every container has a read-only root file system and a writable emptyDir or volume.',
  'no-privilege-escalation': 'No container may gain privileges (allowPrivilegeEscalation: false).',
  'pinned-image-tag': 'Every image has a pinned tag, never latest.',
  'pod-selected-by-network-policy': 'Every pod is selected by a NetworkPolicy of its own.',
  'service-selects-pods-and-ports': 'Every Service selects pods that exist and targets a port they expose.',
  'no-replicas-on-autoscaled-workload': 'An autoscaled workload sets no replicas.',
  'prometheus-scrapes-backend': 'The Prometheus scrape job matches the backend pods and metrics path.',
};

/** A Kubernetes object from a Pulumi resource of the Kubernetes provider, or undefined for anything else. */
export function kubeObjectOf(type: string, props: Record<string, unknown>): KubeObject | undefined {
  if (!type.startsWith('kubernetes:') || typeof props.kind !== 'string' || !props.metadata) return undefined;
  return props as unknown as KubeObject;
}

function resourcePolicy(check: string): ResourceValidationPolicy {
  return {
    name: `docuchat-${check}`,
    description: DESCRIPTIONS[check] ?? check,
    enforcementLevel: 'mandatory',
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      const object = kubeObjectOf(args.type, args.props);
      if (!object) return;
      for (const v of runObjectCheck(check, object)) reportViolation(`${v.object}: ${v.message}`);
    },
  };
}

function stackPolicy(check: string): StackValidationPolicy {
  return {
    name: `docuchat-${check}`,
    description: DESCRIPTIONS[check] ?? check,
    enforcementLevel: 'mandatory',
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const urns = new Map<KubeObject, string>();
      for (const resource of args.resources) {
        const object = kubeObjectOf(resource.type, resource.props);
        if (object) urns.set(object, resource.urn);
      }
      for (const v of runStackCheck(check, [...urns.keys()])) {
        reportViolation(`${v.object}: ${v.message}`, urns.get(v.subject));
      }
    },
  };
}

export const resourcePolicies: readonly ResourceValidationPolicy[] =
  Object.keys(objectChecks).map(resourcePolicy);
export const stackPolicies: readonly StackValidationPolicy[] = Object.keys(stackChecks).map(stackPolicy);

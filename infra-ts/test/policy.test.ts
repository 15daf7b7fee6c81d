/**
 * The policy functions of the @pulumi/policy pack, called directly (running the whole pack needs the CLI) with
 * the arguments Pulumi passes: resource type, props (the Kubernetes object) and URN.
 */
import type { ResourceValidationArgs, StackValidationArgs } from '@pulumi/policy';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../chart.js';
import { resourcePolicies, stackPolicies } from '../policy/policies.js';
import { objectChecks, stackChecks } from '../validation/invariants.js';
import { find, objectsOf, raw } from './objects.js';

function pulumiType(object: KubeObject): string {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['core', object.apiVersion];
  return `kubernetes:${group}/${version}:${object.kind}`;
}

function urnOf(object: KubeObject): string {
  return `urn:pulumi:prod::docuchat::${pulumiType(object)}::${object.metadata.name}`;
}

function validateResource(policyName: string, object: KubeObject): string[] {
  const policy = resourcePolicies.find((p) => p.name === policyName)!;
  const violations: string[] = [];
  const args = {
    type: pulumiType(object),
    props: object,
    urn: urnOf(object),
    name: object.metadata.name,
  } as unknown as ResourceValidationArgs;
  const validate = policy.validateResource;
  for (const fn of Array.isArray(validate) ? validate : [validate!])
    fn(args, (message) => violations.push(message));
  return violations;
}

function validateStack(policyName: string, objects: KubeObject[]): Array<{ message: string; urn?: string }> {
  const policy = stackPolicies.find((p) => p.name === policyName)!;
  const violations: Array<{ message: string; urn?: string }> = [];
  const args = {
    resources: objects.map((o) => ({ type: pulumiType(o), props: o, urn: urnOf(o), name: o.metadata.name })),
  } as unknown as StackValidationArgs;
  policy.validateStack!(args, (message, urn) => violations.push({ message, urn }));
  return violations;
}

describe('Pulumi policy pack', () => {
  it('has one mandatory policy per invariant', () => {
    expect(resourcePolicies.map((p) => p.name)).toEqual(
      Object.keys(objectChecks).map((c) => `docuchat-${c}`),
    );
    expect(stackPolicies.map((p) => p.name)).toEqual(Object.keys(stackChecks).map((c) => `docuchat-${c}`));
    expect([...resourcePolicies, ...stackPolicies].every((p) => p.enforcementLevel === 'mandatory')).toBe(
      true,
    );
  });

  it('passes every object and the whole stack as synthesized', () => {
    const objects = objectsOf('prod');
    for (const policy of resourcePolicies) {
      for (const object of objects)
        expect(validateResource(policy.name, object), `${policy.name} ${object.metadata.name}`).toEqual([]);
    }
    for (const policy of stackPolicies) expect(validateStack(policy.name, objects), policy.name).toEqual([]);
  });

  it('stops a Deployment whose container escapes its security context', () => {
    const deployment = raw(find(objectsOf('prod'), 'Deployment', 'docuchat-frontend'));
    deployment.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    expect(validateResource('docuchat-no-privilege-escalation', deployment)).toEqual([
      'Deployment/docuchat-frontend: container frontend allows privilege escalation (setuid binaries); set allowPrivilegeEscalation: false',
    ]);
  });

  it('ignores resources of other providers', () => {
    const args = {
      type: 'aws:s3/bucket:Bucket',
      props: { bucket: 'x' },
      urn: 'urn:x',
      name: 'x',
    } as unknown as ResourceValidationArgs;
    const violations: string[] = [];
    for (const policy of resourcePolicies) {
      const validate = policy.validateResource;
      for (const fn of Array.isArray(validate) ? validate : [validate!]) fn(args, (m) => violations.push(m));
    }
    expect(violations).toEqual([]);
  });

  it('reports a Service that selects no pods against that Service’s URN', () => {
    const objects = objectsOf('prod');
    const service = raw(find(objects, 'Service', 'docuchat-redis'));
    service.spec.selector['app.kubernetes.io/component'] = 'cache';
    const violations = validateStack('docuchat-service-selects-pods-and-ports', objects);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.urn).toBe('urn:pulumi:prod::docuchat::kubernetes:core/v1:Service::docuchat-redis');
    expect(violations[0]!.message).toContain('selects no pods');
  });

  it('reports replicas set on the autoscaled backend', () => {
    const objects = objectsOf('prod');
    raw(find(objects, 'Deployment', 'docuchat-backend')).spec.replicas = 3;
    const violations = validateStack('docuchat-no-replicas-on-autoscaled-workload', objects);
    expect(violations.map((v) => v.urn)).toEqual([
      'urn:pulumi:prod::docuchat::kubernetes:apps/v1:Deployment::docuchat-backend',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { STACKS } from '../stack-files.js';
import { unknownFields } from '../validation/known-fields.js';
import { modelErrors, rangeErrors, schemaErrors } from '../validation/schema.js';
import { find, objectsOf, raw } from './objects.js';

describe('Kubernetes schema validation', () => {
  it.each(STACKS)('accepts every object of stack %s as written', async (stack) => {
    expect(await schemaErrors(objectsOf(stack))).toEqual([]);
  });

  it('catches a typo in a field name that the API server would silently drop', () => {
    const deployment = raw(find(objectsOf('prod'), 'Deployment', 'docuchat-backend'));
    const container = deployment.spec.template.spec.containers[0];
    container.livenesProbe = container.livenessProbe;
    delete container.livenessProbe;
    expect(unknownFields([deployment])).toEqual([
      'Deployment/docuchat-backend: spec.template.spec.containers[0].livenesProbe is not a field of IContainer',
    ]);
  });

  it('holds the typed VPA custom resource to its own schema', () => {
    const vpa = raw(find(objectsOf('dev'), 'VerticalPodAutoscaler', 'docuchat-backend'));
    vpa.spec.updatePolicy.mode = 'Auto';
    expect(unknownFields([vpa])[0]).toContain('spec.updatePolicy.mode is not a field');
  });

  it('catches out-of-range values the OpenAPI schema accepts', () => {
    const objects = objectsOf('prod');
    const service = raw(find(objects, 'Service', 'docuchat-redis'));
    service.spec.ports[0].port = 70000;
    const hpa = raw(find(objects, 'HorizontalPodAutoscaler', 'docuchat-backend'));
    hpa.spec.metrics[0].resource.target.averageUtilization = 170;
    const billing = raw(find(objects, 'CronJob', 'docuchat-billing'));
    billing.spec.schedule = '0 3 * *';
    expect(rangeErrors([service, hpa, billing])).toEqual([
      'Service/docuchat-redis: spec.ports[0].port = 70000 is not a TCP/UDP port (1-65535)',
      'HorizontalPodAutoscaler/docuchat-backend: spec.metrics[0].resource.target.averageUtilization = 170 is not a percentage between 1 and 100',
      'CronJob/docuchat-billing: spec.schedule = "0 3 * *" is not a five-field cron schedule',
    ]);
  });

  it('reports wrong types and enum values through kubernetes-models', async () => {
    const service = raw(find(objectsOf('prod'), 'Service', 'docuchat-redis'));
    service.spec.ports[0].protocol = 'TPC';
    const errors = await modelErrors([service]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('Service/docuchat-redis');
    expect(errors[0]).toContain('protocol');
  });
});

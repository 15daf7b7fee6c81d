/**
 * The committed files, not the objects in memory: every file in `dist/` means the same to a YAML 1.1 reader
 * (kubectl, Helm, Prometheus and Grafana read with Go's yaml.v2) and a YAML 1.2 reader, and that meaning is
 * exactly what the Pulumi program applies; the manifests pass Kubernetes 1.28's own schema, strictly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { STACKS } from '../stack-files.js';
import { fileNameFor, K8S_DIST_DIR, REPO_ROOT, renderObjectYaml, stackObjects } from '../synth.js';
import { parseYamlAs, readDistFiles } from '../validation/dist-files.js';
import { KUBERNETES_VERSION, openApiErrors } from '../validation/openapi.js';
import { schemaErrors } from '../validation/schema.js';
import { find, objectsOf, raw } from './objects.js';

const stackDir = (stack: string) => path.join(K8S_DIST_DIR, stack);

/** Every YAML file under dist/ outside dist/k8s (Prometheus and Grafana files). */
function observabilityYamlFiles(): string[] {
  const files: string[] = [];
  for (const dir of ['prometheus', 'grafana']) {
    for (const name of readdirSync(path.join(REPO_ROOT, 'dist', dir))) {
      if (/\.ya?ml$/.test(name)) files.push(path.join(REPO_ROOT, 'dist', dir, name));
    }
  }
  return files;
}

describe('dist/ read back by YAML 1.1 and YAML 1.2 readers', () => {
  it.each(STACKS)('gives exactly the objects Pulumi applies, in both readings (stack %s)', (stack) => {
    const applied = new Map(stackObjects(stack).map((o) => [fileNameFor(o), o]));
    for (const version of ['1.1', '1.2'] as const) {
      const files = readDistFiles(stackDir(stack), version);
      expect(files.map((f) => f.name).sort()).toEqual([...applied.keys()].sort());
      for (const { name, object } of files)
        expect(object, `${version} ${stack}/${name}`).toEqual(applied.get(name));
    }
  });

  it.each(STACKS)('gives the same files inside ConfigMaps to both readers (stack %s)', (stack) => {
    let embedded = 0;
    for (const { name, object } of readDistFiles(stackDir(stack), '1.2')) {
      if (object.kind !== 'ConfigMap') continue;
      for (const [key, text] of Object.entries((object as { data?: Record<string, string> }).data ?? {})) {
        if (!/\.ya?ml$/.test(key)) continue;
        embedded++;
        const where = `${stack}/${name} ${key}`;
        expect(parseYamlAs(text, '1.1', where), where).toEqual(parseYamlAs(text, '1.2', where));
      }
    }
    expect(embedded).toBeGreaterThanOrEqual(4);
  });

  it('gives the same Prometheus and Grafana files to both readers', () => {
    const files = observabilityYamlFiles();
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(parseYamlAs(text, '1.1', file), file).toEqual(parseYamlAs(text, '1.2', file));
    }
  });

  it('reads the nginx and VPA switches as the strings they are, where plain YAML would have said false', () => {
    const ingress = raw(find(objectsOf('prod'), 'Ingress', 'docuchat-streaming'));
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    const file = readFileSync(path.join(stackDir('prod'), 'ingress-docuchat-streaming.yaml'), 'utf8');
    expect(raw(parseYamlAs(file, '1.1', 'ingress')).metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
    });
    // The serializer this replaced: YAML 1.2 stringify leaves `off` bare, and a 1.1 reader takes it for false.
    const plain = stringify(ingress, { lineWidth: 0 });
    expect(raw(parseYamlAs(plain, '1.1', 'plain')).metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': false,
    });
    expect(renderObjectYaml(ingress)).toContain('proxy-buffering: "off"');
  });

  it('quotes every string a YAML 1.1 or 1.2 reader could take for another type', () => {
    const tricky = [
      'off',
      'On',
      'no',
      'Y',
      'n',
      '~',
      'null',
      '1e3',
      '0o17',
      '0x1F',
      '1:30',
      '0755',
      '1_000',
      '.inf',
      '2001-12-14',
    ];
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'tricky' },
      data: Object.fromEntries(tricky.map((v, i) => [`k${i}`, v])),
    };
    const text = renderObjectYaml(object);
    for (const version of ['1.1', '1.2'] as const)
      expect(parseYamlAs(text, version, version)).toEqual(object);
  });
});

describe(`dist/k8s validated strictly against Kubernetes ${KUBERNETES_VERSION}`, () => {
  it.each(STACKS)('accepts every file of stack %s as kubectl reads it', (stack) => {
    const objects = readDistFiles(stackDir(stack), '1.1').map((f) => f.object);
    expect(openApiErrors(objects)).toEqual([]);
  });

  it.each(STACKS)(
    'passes the kubernetes-models validators and the range checks too (stack %s)',
    async (stack) => {
      const objects = readDistFiles(stackDir(stack), '1.1').map((f) => f.object);
      expect(await schemaErrors(objects)).toEqual([]);
    },
  );

  it('rejects what the old files held: an annotation a 1.1 reader saw as a boolean', () => {
    const ingress = raw(find(objectsOf('prod'), 'Ingress', 'docuchat-streaming'));
    const asKubectlReadItBefore = raw(parseYamlAs(stringify(ingress, { lineWidth: 0 }), '1.1', 'old'));
    expect(openApiErrors([asKubectlReadItBefore])).toEqual([
      'Ingress/docuchat-streaming: metadata.annotations["nginx.ingress.kubernetes.io/proxy-buffering"] must be string',
      'Ingress/docuchat-streaming: metadata.annotations["nginx.ingress.kubernetes.io/proxy-request-buffering"] must be string',
    ]);
  });

  it('rejects unknown fields, wrong enums, out-of-range integers, bad quantities and repeated list keys', () => {
    const objects = objectsOf('prod');
    const deployment = raw(find(objects, 'Deployment', 'docuchat-backend'));
    const container = deployment.spec.template.spec.containers[0];
    container.livenesProbe = container.livenessProbe;
    container.resources.limits.memory = '1 GB';
    container.ports.push({ ...container.ports[0] });
    const service = raw(find(objects, 'Service', 'docuchat-redis'));
    service.spec.ports[0].protocol = 'TPC';
    service.spec.ports[0].port = 2 ** 32;
    expect(openApiErrors([deployment, service])).toEqual([
      'Deployment/docuchat-backend: spec.template.spec.containers[0].livenesProbe is not a field in Kubernetes 1.28.0',
      'Deployment/docuchat-backend: spec.template.spec.containers[0].ports has two items with the same containerPort+protocol [8000,"TCP"]',
      'Deployment/docuchat-backend: spec.template.spec.containers[0].resources.limits.memory is not a Kubernetes quantity (such as 250m, 1 or 512Mi)',
      'Service/docuchat-redis: spec.ports[0].port must match format "int32"',
      'Service/docuchat-redis: spec.ports[0].protocol must be one of "SCTP", "TCP", "UDP"',
    ]);
  });

  it('rejects fields and API versions newer or older than the target release', () => {
    const service = raw(find(objectsOf('prod'), 'Service', 'docuchat-redis'));
    // Service.spec.trafficDistribution arrived in Kubernetes 1.30; a 1.28 API server drops it.
    service.spec.trafficDistribution = 'PreferClose';
    const hpa = raw(find(objectsOf('prod'), 'HorizontalPodAutoscaler', 'docuchat-backend'));
    hpa.apiVersion = 'autoscaling/v2beta2';
    expect(openApiErrors([service, hpa])).toEqual([
      'Service/docuchat-redis: spec.trafficDistribution is not a field in Kubernetes 1.28.0',
      'HorizontalPodAutoscaler/docuchat-backend: Kubernetes 1.28.0 serves no autoscaling/v2beta2 HorizontalPodAutoscaler (nor does any CRD in infra-ts/validation/schemas/)',
    ]);
  });

  it('holds the VerticalPodAutoscaler to its CRD', () => {
    const vpa = raw(find(objectsOf('dev'), 'VerticalPodAutoscaler', 'docuchat-backend'));
    expect(openApiErrors([vpa])).toEqual([]);
    vpa.spec.updatePolicy.updateMode = 'off';
    vpa.spec.resourcePolicy.containerPolicies[0].maxAlowed = {};
    expect(openApiErrors([vpa])).toEqual([
      'VerticalPodAutoscaler/docuchat-backend: spec.resourcePolicy.containerPolicies[0].maxAlowed is not a field in Kubernetes 1.28.0',
      'VerticalPodAutoscaler/docuchat-backend: spec.updatePolicy.updateMode must be one of "Off", "Initial", "Recreate", "Auto"',
    ]);
  });
});

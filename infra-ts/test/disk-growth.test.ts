/**
 * The database disk can grow: a storage class that allows expansion (created by the stack, or named), the size in
 * stack configuration, and a size change that touches only the claim, never the StatefulSet's identity.
 */
import { describe, expect, it } from 'vitest';
import { synthesizeStack } from '../chart.js';
import { renderObservability } from '../observability.js';
import { parseStackConfig, StackConfigError } from '../stack-config.js';
import { readStackConfig } from '../stack-files.js';
import { REPO_ROOT } from '../synth.js';
import { openApiErrors } from '../validation/openapi.js';
import { find, raw } from './objects.js';

const prod = readStackConfig('prod', REPO_ROOT);

describe('database disk growth', () => {
  it('creates an expandable, retained storage class for the database when the stack names a provisioner', () => {
    const config = {
      ...prod,
      postgresql: {
        ...prod.postgresql,
        storageClass: { provisioner: 'ebs.csi.aws.com', parameters: { type: 'gp3' } },
      },
    };
    const objects = synthesizeStack(config, renderObservability);
    const storageClass = raw(find(objects, 'StorageClass', 'docuchat-prod-postgresql'));
    expect(storageClass).toMatchObject({
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3' },
      allowVolumeExpansion: true,
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    expect(storageClass.metadata.namespace).toBeUndefined();
    const template = raw(find(objects, 'StatefulSet', 'docuchat-postgresql')).spec.volumeClaimTemplates[0];
    expect(template.spec.storageClassName).toBe('docuchat-prod-postgresql');
    expect(openApiErrors(objects)).toEqual([]);
    // The Namespace still comes first: the Pulumi program applies it before anything else.
    expect(objects[0]?.kind).toBe('Namespace');
  });

  it('takes a class the cluster already has, but not both', () => {
    const values = {
      namespace: 'docuchat-test',
      domains: { app: 'docuchat.example.com', grafana: 'grafana.docuchat.example.com' },
      postgresql: {
        storageClassName: 'fast-expandable',
        storageClass: { provisioner: 'pd.csi.storage.gke.io' },
      },
    };
    expect(() => parseStackConfig('prod', values)).toThrow(StackConfigError);
    expect(() => parseStackConfig('prod', values)).toThrow('either storageClassName');
  });

  it('changes only the claim size when postgresql.storage grows', () => {
    const before = synthesizeStack(prod, renderObservability);
    const after = synthesizeStack(
      { ...prod, postgresql: { ...prod.postgresql, storage: '80Gi' } },
      renderObservability,
    );
    const changed = before
      .filter((o, i) => JSON.stringify(o) !== JSON.stringify(after[i]))
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(changed).toEqual(['StatefulSet/docuchat-postgresql']);
    expect(
      raw(find(after, 'StatefulSet', 'docuchat-postgresql')).spec.volumeClaimTemplates[0].spec.resources
        .requests.storage,
    ).toBe('80Gi');
  });
});

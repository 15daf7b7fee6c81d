/**
 * The Pulumi program: reads the stack's configuration and secrets, creates the Secret `docuchat-secrets`,
 * builds the same cdk8s app `npm run synth:k8s` renders and applies each of its objects.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { type KubeObject, synthesizeStack } from '../chart.js';
import { POSTGRESQL_DATA_CLAIM } from '../components/postgresql.js';
import { componentLabels, resourceNames } from '../names.js';
import { renderObservability } from '../observability.js';
import { latestRelease } from '../release.js';
import { parseStackConfig, type StackConfig } from '../stack-config.js';
import { projectValues } from '../stack-files.js';
import { ignoredChanges, isProtected } from './protection.js';
import { resourceClassFor } from './resource-kinds.js';
import { secretData } from './secret.js';

export interface DocuChatStack {
  readonly config: StackConfig;
  readonly objects: readonly KubeObject[];
  readonly namespace: pulumi.CustomResource;
  readonly secret: k8s.core.v1.Secret;
  /** Every applied object's Pulumi resource: the Namespace, then ConfigMaps and other prerequisites, then the rest. */
  readonly resources: readonly pulumi.CustomResource[];
  /** The patch that keeps the database claim at `postgresql.storage`. */
  readonly dataClaim: k8s.core.v1.PersistentVolumeClaimPatch;
  readonly appUrl: string;
  readonly grafanaUrl: string;
}

/** Objects the pods read at start; creating them first spares a round of crash-looping pods. */
const PREREQUISITE_KINDS = new Set([
  'ConfigMap',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'PersistentVolumeClaim',
  'StorageClass',
]);

export function deployDocuChat(): DocuChatStack {
  const configured = parseStackConfig(pulumi.getStack(), projectValues(pulumi.runtime.allConfig()));
  // The images CI built for a release; unset, the newest release tag of this checkout (never a tag nobody built).
  const config: StackConfig = { ...configured, release: configured.release ?? latestRelease() };
  const objects = synthesizeStack(config, renderObservability);

  const [namespaceObject, ...namespaced] = objects;
  if (namespaceObject?.kind !== 'Namespace') throw new Error('synthesis must start with the Namespace');
  const apply = (object: KubeObject, dependsOn: pulumi.Resource[]) => {
    const protect = isProtected(object);
    const ignoreChanges = ignoredChanges(object);
    const ResourceClass = resourceClassFor(object.apiVersion, object.kind);
    return new ResourceClass(
      object.metadata.name,
      { ...object },
      {
        dependsOn,
        ...(protect ? { protect: true, retainOnDelete: true } : {}),
        ...(ignoreChanges.length > 0 ? { ignoreChanges } : {}),
      },
    );
  };
  const namespace = apply(namespaceObject, []);

  const secret = new k8s.core.v1.Secret(
    resourceNames.secret,
    {
      metadata: {
        name: resourceNames.secret,
        namespace: config.namespace,
        labels: componentLabels('backend'),
      },
      type: 'Opaque',
      stringData: secretData(config),
    },
    { dependsOn: [namespace] },
  );

  const prerequisites = namespaced
    .filter((o) => PREREQUISITE_KINDS.has(o.kind))
    .map((o) => apply(o, [namespace]));
  const restObjects = namespaced.filter((o) => !PREREQUISITE_KINDS.has(o.kind));
  const rest = restObjects.map((o) => apply(o, [namespace, secret, ...prerequisites]));

  // The database volume grows in place: a server-side-apply patch of the claim the StatefulSet created (after it
  // is ready, so the claim exists), never a change of the StatefulSet's immutable claim template.
  const postgresql =
    rest[
      restObjects.findIndex((o) => o.kind === 'StatefulSet' && o.metadata.name === resourceNames.postgresql)
    ];
  const dataClaim = new k8s.core.v1.PersistentVolumeClaimPatch(
    POSTGRESQL_DATA_CLAIM,
    {
      metadata: { name: POSTGRESQL_DATA_CLAIM, namespace: config.namespace },
      spec: { resources: { requests: { storage: config.postgresql.storage } } },
    },
    { dependsOn: postgresql ? [postgresql] : [], retainOnDelete: true },
  );

  const scheme = config.tls.enabled ? 'https' : 'http';
  return {
    config,
    objects,
    namespace,
    secret,
    resources: [namespace, ...prerequisites, ...rest],
    dataClaim,
    appUrl: `${scheme}://${config.domains.app}`,
    grafanaUrl: `${scheme}://${config.domains.grafana}`,
  };
}

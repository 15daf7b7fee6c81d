import type { KubeObject } from '../chart.js';
import { resourceNames } from '../names.js';

/**
 * Objects whose deletion loses data: the PostgreSQL StatefulSet (its claims are retained by the StatefulSet's
 * own retention policy) and every PersistentVolumeClaim Pulumi manages. `protect` makes `pulumi destroy` or a
 * refactor that drops them fail; `retainOnDelete` keeps them in the cluster even when protection is lifted.
 */
export function isProtected(object: KubeObject): boolean {
  return (
    (object.kind === 'StatefulSet' && object.metadata.name === resourceNames.postgresql) ||
    object.kind === 'PersistentVolumeClaim'
  );
}

import type { KubeObject } from '../chart.js';
import { POSTGRESQL_DATA_CLAIM } from '../components/postgresql.js';
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

/**
 * Fields Pulumi leaves alone on an object it already created. A StatefulSet's claim templates cannot change
 * (the API refuses, so Pulumi would delete and recreate the database's StatefulSet); a larger
 * `postgresql.storage` grows the claim itself instead ({@link POSTGRESQL_DATA_CLAIM}, patched in place).
 */
export function ignoredChanges(object: KubeObject): string[] {
  return object.kind === 'StatefulSet' && object.metadata.name === resourceNames.postgresql
    ? ['spec.volumeClaimTemplates']
    : [];
}

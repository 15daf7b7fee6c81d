/**
 * The agreed Kubernetes names and labels. Every construct, policy and test takes names from here, never from a
 * construct path, so a refactor of the construct tree never renames (and therefore never deletes and
 * recreates) a resource.
 */

export const APP_NAME = 'docuchat';

export type Component =
  | 'backend'
  | 'frontend'
  | 'postgresql'
  | 'redis'
  | 'prometheus'
  | 'grafana'
  | 'billing'
  | 'backup';

export const resourceNames = {
  backend: 'docuchat-backend',
  backendConfig: 'docuchat-backend-config',
  frontend: 'docuchat-frontend',
  postgresql: 'docuchat-postgresql',
  redis: 'docuchat-redis',
  prometheus: 'docuchat-prometheus',
  prometheusConfig: 'docuchat-prometheus-config',
  grafana: 'docuchat-grafana',
  grafanaDashboards: 'docuchat-grafana-dashboards',
  grafanaProvisioning: 'docuchat-grafana-provisioning',
  billing: 'docuchat-billing',
  backup: 'docuchat-backup',
  backups: 'docuchat-backups',
  restoreVerify: 'docuchat-restore-verify',
  secret: 'docuchat-secrets',
  ingress: 'docuchat',
  streamingIngress: 'docuchat-streaming',
  tlsSecret: 'docuchat-tls',
  defaultDeny: 'docuchat-default-deny',
} as const;

/** DocuChat's own images, as CI builds and pushes them (`<registry>/<name>:<release>`). */
export const APP_IMAGES = { backend: 'docuchat-backend', frontend: 'docuchat-frontend' } as const;

/** The tag `dist/` shows for DocuChat's own images; the Pulumi program applies the release instead. */
export const RELEASE_PLACEHOLDER = 'RELEASE';

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';

/** Labels on every object of a component (metadata and pod templates alike). */
export function componentLabels(component: Component): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_PART_OF]: APP_NAME, [LABEL_COMPONENT]: component };
}

/**
 * The pod selector of a component. Selectors are immutable on Deployments and StatefulSets, so they use only
 * the two labels that can never change meaning.
 */
export function selectorLabels(component: Component): Record<string, string> {
  return { [LABEL_NAME]: APP_NAME, [LABEL_COMPONENT]: component };
}

/** Annotation prefix that grants a workload an exception to one invariant; the value must give the reason. */
export const EXCEPTION_ANNOTATION_PREFIX = 'docuchat.io/exception-';

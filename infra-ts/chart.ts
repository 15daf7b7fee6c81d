import { App, Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { Backend } from './components/backend.js';
import { Backup } from './components/backup.js';
import { Billing } from './components/billing.js';
import { Frontend } from './components/frontend.js';
import { Grafana } from './components/grafana.js';
import { DocuChatIngress } from './components/ingress.js';
import { DocuChatNamespace } from './components/namespace.js';
import { DocuChatNetworkPolicies } from './components/network-policies.js';
import { Postgresql } from './components/postgresql.js';
import { Prometheus } from './components/prometheus.js';
import { Redis } from './components/redis.js';
import { RestoreVerify } from './components/restore-verify.js';
import { PostgresqlStorageClass } from './components/storage-class.js';
import { BackendVerticalPodAutoscaler } from './components/vertical-pod-autoscaler.js';
import type { StackConfig } from './stack-config.js';

/** Files rendered by `alerts-ts` and `dashboards-ts` for one stack, file name → content. */
export interface ObservabilityFiles {
  readonly prometheus: Readonly<Record<string, string>>;
  readonly grafana: {
    readonly files: Readonly<Record<string, string>>;
    /** File name → directory in the Grafana container. */
    readonly targets: Readonly<Record<string, string>>;
  };
}

/** The deployment facts the alert rules are built from; infra hands over its own values. */
export interface ObservabilityFacts {
  readonly namespace: string;
  readonly backendComponent: 'backend';
  /** The backend container's memory limit in bytes, exactly as the Deployment sets it. */
  readonly memoryLimitBytes: number;
  /** Prefix of the alerts' absolute runbook links (stack setting `runbookBaseUrl`). */
  readonly runbookBaseUrl: string;
}

/** Renders the Prometheus and Grafana files from the deployment facts (see `observability.ts`). */
export type ObservabilityRenderer = (facts: ObservabilityFacts) => ObservabilityFiles;

export interface DocuChatChartProps {
  readonly config: StackConfig;
  readonly renderObservability: ObservabilityRenderer;
}

/** Everything in the stack's namespace. */
export class DocuChatChart extends Chart {
  constructor(scope: Construct, id: string, props: DocuChatChartProps) {
    super(scope, id, { namespace: props.config.namespace, disableResourceNameHashes: true });
    const { config } = props;
    const backend = new Backend(this, 'backend', { config });
    // The rules are built from the Deployment's own limit, so the alert and the manifest cannot disagree.
    const observability = props.renderObservability({
      namespace: config.namespace,
      backendComponent: 'backend',
      memoryLimitBytes: backend.memoryLimitBytes,
      runbookBaseUrl: config.runbookBaseUrl,
    });
    new Frontend(this, 'frontend', { config });
    new DocuChatIngress(this, 'ingress', { config });
    new Postgresql(this, 'postgresql', { config });
    new Redis(this, 'redis', { config });
    new Prometheus(this, 'prometheus', { config, files: observability.prometheus });
    new Grafana(this, 'grafana', { config, ...observability.grafana });
    new Billing(this, 'billing', { config });
    new Backup(this, 'backup', { config });
    new RestoreVerify(this, 'restore-verify', { config });
    if (config.vpa.enabled) new BackendVerticalPodAutoscaler(this, 'vpa', { config });
    new DocuChatNetworkPolicies(this, 'network-policies', { config });
  }
}

/** Cluster-scoped objects (the namespace, a storage class); a Chart with a namespace would stamp one on them. */
export class DocuChatClusterChart extends Chart {
  constructor(scope: Construct, id: string, props: { readonly config: StackConfig }) {
    super(scope, id, { disableResourceNameHashes: true });
    new DocuChatNamespace(this, 'namespace', { name: props.config.namespace });
    new PostgresqlStorageClass(this, 'postgresql-storage', { config: props.config });
  }
}

/** A plain Kubernetes object as synthesized. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/**
 * Builds the cdk8s app of one stack in memory and returns its objects in a stable order (cluster-scoped first,
 * then by kind and name), the same list `npm run synth:k8s` writes and the Pulumi program applies.
 */
export function synthesizeStack(
  config: StackConfig,
  renderObservability: ObservabilityRenderer,
): KubeObject[] {
  const app = new App();
  const cluster = new DocuChatClusterChart(app, `${config.stack}-cluster`, { config });
  const chart = new DocuChatChart(app, config.stack, { config, renderObservability });
  const byKindAndName = (a: KubeObject, b: KubeObject) =>
    a.kind.localeCompare(b.kind) || a.metadata.name.localeCompare(b.metadata.name);
  return [
    ...(cluster.toJson() as KubeObject[]).sort(byKindAndName),
    ...(chart.toJson() as KubeObject[]).sort(byKindAndName),
  ];
}

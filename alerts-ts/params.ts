/**
 * Deployment facts the rules and the scrape configuration depend on. They are parameters, not imports:
 * `infra-ts` passes the very values it gives the Deployment, so the manifest and the alert cannot disagree,
 * and `alerts-ts` never imports `infra-ts`.
 */
import { DEFAULT_PORT } from '../app/config/http.js';

export interface PrometheusParams {
  /** Namespace the backend pods run in; Prometheus discovers pods only there (e.g. `docuchat-prod`). */
  readonly namespace: string;
  /** Value of the `app.kubernetes.io/component` label that marks backend pods (e.g. `backend`). */
  readonly backendComponent: string;
  /**
   * The backend container's memory limit in bytes — the same number the Deployment sets.
   * HighMemoryUsage fires above 90 % of it.
   */
  readonly memoryLimitBytes: number;
  /** Scrape job name; alert rules and dashboards select on it. @default 'docuchat-backend' */
  readonly jobName?: string;
  /** The backend container port that serves metrics. @default DEFAULT_PORT (8000, from app/config/http.ts) */
  readonly metricsPort?: number;
  /** @default 30 */
  readonly scrapeIntervalSeconds?: number;
  /** @default 30 */
  readonly evaluationIntervalSeconds?: number;
  /**
   * Where the repository's files are browsable; each alert links to `<base>docs/runbooks/alerts.md#<alert>`, an
   * absolute URL as Alertmanager and Grafana render it. @default DEFAULT_RUNBOOK_BASE_URL
   */
  readonly runbookBaseUrl?: string;
}

/** Parameters with every default filled in and validated. */
export type ResolvedPrometheusParams = Required<PrometheusParams>;

/** The scrape job of the backend, as agreed between the manifests, rules and dashboards. */
export const BACKEND_JOB_NAME = 'docuchat-backend';

/** The repository's files on GitHub (its owner is the one CI pushes images for, ghcr.io/docuchat). */
export const DEFAULT_RUNBOOK_BASE_URL = 'https://github.com/docuchat/docuchat/blob/main/';

/** 1 GiB: what the render script uses until infra-ts passes the Deployment's real memory limit. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 1024 ** 3;

/** Render-time defaults for `npm run synth:observability` (the prod namespace and the agreed labels). */
export const DEFAULT_PROMETHEUS_PARAMS: PrometheusParams = {
  namespace: 'docuchat-prod',
  backendComponent: 'backend',
  memoryLimitBytes: DEFAULT_MEMORY_LIMIT_BYTES,
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Fills defaults and fails loudly, naming the parameter, on a value Prometheus or Kubernetes would reject. */
export function resolvePrometheusParams(params: PrometheusParams): ResolvedPrometheusParams {
  const resolved: ResolvedPrometheusParams = {
    jobName: BACKEND_JOB_NAME,
    metricsPort: DEFAULT_PORT,
    scrapeIntervalSeconds: 30,
    evaluationIntervalSeconds: 30,
    runbookBaseUrl: DEFAULT_RUNBOOK_BASE_URL,
    ...params,
  };
  const problems: string[] = [];
  if (!DNS_LABEL.test(resolved.namespace) || resolved.namespace.length > 63) {
    problems.push(
      `namespace must be a Kubernetes namespace name such as docuchat-prod, got ${JSON.stringify(resolved.namespace)}`,
    );
  }
  if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(resolved.backendComponent)) {
    problems.push(
      `backendComponent must be a Kubernetes label value such as backend, got ${JSON.stringify(resolved.backendComponent)}`,
    );
  }
  if (!Number.isSafeInteger(resolved.memoryLimitBytes) || resolved.memoryLimitBytes <= 0) {
    problems.push(
      `memoryLimitBytes must be a positive whole number of bytes (e.g. 1073741824 for 1Gi), got ${resolved.memoryLimitBytes}`,
    );
  }
  if (!Number.isInteger(resolved.metricsPort) || resolved.metricsPort < 1 || resolved.metricsPort > 65535) {
    problems.push(`metricsPort must be a TCP port, got ${resolved.metricsPort}`);
  }
  for (const key of ['scrapeIntervalSeconds', 'evaluationIntervalSeconds'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1)
      problems.push(`${key} must be a whole number of seconds ≥ 1, got ${resolved[key]}`);
  }
  if (!/^[a-zA-Z_][a-zA-Z0-9_-]*$/.test(resolved.jobName)) {
    problems.push(
      `jobName must be a plain identifier such as docuchat-backend, got ${JSON.stringify(resolved.jobName)}`,
    );
  }
  if (!/^https?:\/\/[^/\s]+\/(\S*\/)?$/.test(resolved.runbookBaseUrl)) {
    problems.push(
      `runbookBaseUrl must be an absolute http(s) URL ending with / (e.g. ${DEFAULT_RUNBOOK_BASE_URL}), got ${JSON.stringify(resolved.runbookBaseUrl)}`,
    );
  }
  if (problems.length > 0) throw new Error(`Invalid Prometheus parameters: ${problems.join('; ')}`);
  return resolved;
}

/**
 * Typed stack configuration: everything that differs between stacks (namespace, domains, images, resources,
 * storage, schedules, TLS, feature switches), with the defaults embedded. The values live in
 * `Pulumi.<stack>.yaml` under the `docuchat:` namespace, so `npm run synth:k8s` and `pulumi up` read the same
 * file. Invalid configuration fails synthesis with one line naming the key.
 */
import { z } from 'zod';
import { DEFAULT_RUNBOOK_BASE_URL } from '../alerts-ts/params.js';
import { SECRET_CONFIG_KEYS } from './secrets.js';

/** This repository's registry: CI pushes to `ghcr.io/<owner>`, and the owner is `docuchat`. */
export const DEFAULT_IMAGE_REGISTRY = 'ghcr.io/docuchat';

export class StackConfigError extends Error {
  override name = 'StackConfigError';
}

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: 'a DNS label such as docuchat-prod' });
const hostname = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
  error: 'a lower-case host name such as docuchat.example.com',
});
const cpu = z.string().regex(/^([1-9]\d*m|\d+(\.\d{1,3})?)$/, { error: 'a CPU quantity such as 250m or 1' });
const memory = z
  .string()
  .regex(/^[1-9]\d*(Ki|Mi|Gi|Ti)$/, { error: 'a memory quantity with a binary suffix such as 512Mi or 2Gi' });
const storage = z
  .string()
  .regex(/^[1-9]\d*(Mi|Gi|Ti)$/, { error: 'a storage size with a binary suffix such as 20Gi' });
const int = (min: number, max: number) =>
  z
    .number({ error: `an integer between ${min} and ${max}` })
    .int({ error: `an integer between ${min} and ${max}` })
    .min(min, { error: `an integer between ${min} and ${max}` })
    .max(max, { error: `an integer between ${min} and ${max}` });

const CRON_FIELD_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

/** True for a five-field cron expression whose numbers are in range (what the CronJob controller accepts). */
export function isCronSchedule(expr: string): boolean {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return false;
  return fields.every((field, i) => {
    const [min, max] = CRON_FIELD_RANGES[i]!;
    return field.split(',').every((part) => {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      if (!m) return false;
      const numbers = [m[2], m[3]].filter((n): n is string => n !== undefined).map(Number);
      const step = m[4] === undefined ? 1 : Number(m[4]);
      return step >= 1 && numbers.every((n) => n >= min && n <= max);
    });
  });
}

const cron = z.string().refine(isCronSchedule, { error: 'a five-field cron schedule such as "0 3 * * *"' });

/** An image tag: what `docker tag` accepts, never `latest` (a rollout must be reproducible). */
const imageTag = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { error: 'an image tag such as v1.4.2' })
  .refine((t) => t !== 'latest', {
    error: 'a pinned tag, not "latest" (a rollout must be reproducible)',
  });

const image = (repository: string, tag: string) =>
  z
    .strictObject({
      repository: z.string().regex(/^[a-z0-9]+([._/-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, {
        error: 'an image repository without tag, such as pgvector/pgvector',
      }),
      tag: imageTag,
    })
    .prefault({ repository, tag });

const resources = (requests: { cpu: string; memory: string }, limits: { cpu: string; memory: string }) =>
  z
    .strictObject({
      requests: z
        .strictObject({ cpu: cpu.default(requests.cpu), memory: memory.default(requests.memory) })
        .prefault({}),
      limits: z
        .strictObject({ cpu: cpu.default(limits.cpu), memory: memory.default(limits.memory) })
        .prefault({}),
    })
    .prefault({})
    .refine((r) => !(cpuMillis(r.requests.cpu) > cpuMillis(r.limits.cpu)), {
      error: 'requests.cpu no larger than limits.cpu',
    })
    // Zod runs refinements even when a field failed; only compare quantities that parsed.
    .refine((r) => !(safeMemoryBytes(r.requests.memory) > safeMemoryBytes(r.limits.memory)), {
      error: 'requests.memory no larger than limits.memory',
    });

/** The schema of the `docuchat:` keys in `Pulumi.<stack>.yaml` (secrets excluded, see `secrets.ts`). */
const schema = z.strictObject({
  namespace: dnsLabel,
  domains: z.strictObject({ app: hostname, grafana: hostname }),
  tls: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** cert-manager ClusterIssuer that signs the certificate. */
      clusterIssuer: dnsLabel.default('letsencrypt-prod'),
    })
    .prefault({}),
  /**
   * The release of DocuChat's own images (backend, frontend), a tag CI pushed: the deploy workflow sets it from
   * the git tag it deploys; unset, the Pulumi program takes the newest release tag of the checkout
   * (`release.ts`), and `dist/` shows the placeholder `RELEASE`.
   */
  release: imageTag.optional(),
  /**
   * Where the repository's files are browsable: alerts link to `<runbookBaseUrl>docs/runbooks/alerts.md#<alert>`
   * (absolute, as Alertmanager and Grafana show it). A fork or a mirror sets its own.
   */
  runbookBaseUrl: z
    .string()
    .regex(/^https?:\/\/[^/\s]+\/(\S*\/)?$/, { error: 'an absolute http(s) URL ending with /' })
    .default(DEFAULT_RUNBOOK_BASE_URL),
  images: z
    .strictObject({
      /** Where CI pushes DocuChat's images: `ghcr.io/<GitHub owner, lower-case>`. */
      registry: z
        .string()
        .regex(/^[a-z0-9]+([.-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, {
          error: 'a registry and namespace without image name, such as ghcr.io/acme',
        })
        .default(DEFAULT_IMAGE_REGISTRY),
      postgresql: image('pgvector/pgvector', 'pg16'),
      redis: image('redis', '7-alpine'),
      prometheus: image('prom/prometheus', 'v2.53.3'),
      grafana: image('grafana/grafana', '11.3.0'),
      /** The S3 client of the backup jobs; the tests run the same version (Debian's awscli 2.9.19). */
      awsCli: image('amazon/aws-cli', '2.9.19'),
    })
    .prefault({}),
  backend: z
    .strictObject({
      resources: resources({ cpu: '250m', memory: '512Mi' }, { cpu: '1', memory: '1Gi' }),
      autoscaling: z
        .strictObject({
          minReplicas: int(1, 100).default(2),
          maxReplicas: int(1, 100).default(10),
          cpuUtilizationPercent: int(1, 100).default(70),
          memoryUtilizationPercent: int(1, 100).default(80),
        })
        .prefault({})
        .refine((a) => a.minReplicas <= a.maxReplicas, { error: 'minReplicas no larger than maxReplicas' }),
      logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      /** Largest upload; the Ingress body limit and the server's MAX_UPLOAD_BYTES both come from it. */
      maxUploadMegabytes: int(1, 1024).default(25),
    })
    .prefault({}),
  frontend: z
    .strictObject({
      replicas: int(1, 20).default(2),
      resources: resources({ cpu: '50m', memory: '64Mi' }, { cpu: '200m', memory: '128Mi' }),
    })
    .prefault({}),
  postgresql: z
    .strictObject({
      resources: resources({ cpu: '250m', memory: '512Mi' }, { cpu: '1', memory: '2Gi' }),
      /** The data volume's size. Raising it grows the volume in place (see docs/runbooks/recovery-db.md); it never shrinks. */
      storage: storage.default('20Gi'),
      /** An existing StorageClass; it must allow volume expansion for `storage` to grow. @default the cluster's default */
      storageClassName: dnsLabel.optional(),
      /**
       * Or a StorageClass the stack creates (`<namespace>-postgresql`, expansion allowed, volumes retained), for the
       * cluster's CSI driver, e.g. `{ provisioner: ebs.csi.aws.com, parameters: { type: gp3 } }`.
       */
      storageClass: z
        .strictObject({
          provisioner: z
            .string()
            .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$/, {
              error: 'a CSI provisioner name such as ebs.csi.aws.com',
            }),
          parameters: z.record(z.string(), z.string()).default({}),
        })
        .optional(),
      database: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'a lower-case SQL identifier' })
        .default('docuchat'),
      user: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'a lower-case SQL identifier' })
        .default('docuchat'),
    })
    .refine((pg) => !(pg.storageClass && pg.storageClassName), {
      error: 'either storageClassName (an existing class) or storageClass (one the stack creates), not both',
    })
    .prefault({}),
  redis: z
    .strictObject({
      resources: resources({ cpu: '50m', memory: '64Mi' }, { cpu: '250m', memory: '256Mi' }),
      maxMemory: memory.default('192Mi'),
    })
    .prefault({}),
  prometheus: z
    .strictObject({
      resources: resources({ cpu: '200m', memory: '512Mi' }, { cpu: '1', memory: '2Gi' }),
      storage: storage.default('20Gi'),
      storageClassName: dnsLabel.optional(),
      retentionDays: int(1, 3650).default(30),
    })
    .prefault({}),
  grafana: z
    .strictObject({
      resources: resources({ cpu: '100m', memory: '128Mi' }, { cpu: '500m', memory: '512Mi' }),
    })
    .prefault({}),
  billing: z
    .strictObject({
      schedule: cron.default('0 3 * * *'),
      /** IANA zone the schedule is read in (CronJob `timeZone`), and the billing day boundary. */
      timeZone: z
        .string()
        .regex(/^[A-Za-z]+(\/[A-Za-z0-9_+-]+)*$/, { error: 'an IANA time zone such as Asia/Tehran' })
        .default('Asia/Tehran'),
      args: z.array(z.string()).default([]),
      resources: resources({ cpu: '100m', memory: '256Mi' }, { cpu: '500m', memory: '512Mi' }),
    })
    .prefault({}),
  backup: z
    .strictObject({
      schedule: cron.default('0 2 * * *'),
      restoreVerifySchedule: cron.default('0 5 * * *'),
      keepDays: int(1, 365).default(7),
      /**
       * Off-cluster copies: every dump is uploaded to an S3-compatible bucket, and the restore verification
       * restores from there. Credentials are the secrets docuchat:backupS3AccessKeyId / backupS3SecretAccessKey.
       */
      objectStore: z
        .strictObject({
          /** https://s3.<region>.amazonaws.com, https://<account>.r2.cloudflarestorage.com, http://minio.minio:9000 */
          endpoint: z.url({
            protocol: /^https?$/,
            error: 'an http(s) URL such as https://s3.eu-central-1.amazonaws.com',
          }),
          bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
            error: 'an S3 bucket name such as docuchat-prod-backups',
          }),
          /** Key prefix of the dumps. */
          prefix: z
            .string()
            .regex(/^([A-Za-z0-9!_.*'()-]+\/)*$/, {
              error: 'a key prefix ending with / (or empty), such as postgresql/',
            })
            .default('postgresql/'),
          region: z
            .string()
            .regex(/^[a-z0-9-]+$/, { error: 'a region such as eu-central-1' })
            .default('us-east-1'),
          /** Server-side encryption asked for on upload; `none` for stores that offer none (MinIO without KMS). */
          serverSideEncryption: z.enum(['AES256', 'aws:kms', 'none']).default('AES256'),
          /** Path-style URLs (endpoint/bucket/key), which MinIO and most self-hosted stores need. */
          pathStyle: z.boolean().default(true),
          keepDaily: int(1, 366).default(7),
          keepWeekly: int(0, 520).default(4),
        })
        // Optional here so stacks without backups (docker compose) parse; every Kubernetes stack must set it.
        .optional(),
      storage: storage.default('50Gi'),
      storageClassName: dnsLabel.optional(),
      resources: resources({ cpu: '100m', memory: '256Mi' }, { cpu: '1', memory: '1Gi' }),
    })
    .prefault({}),
  vpa: z
    .strictObject({
      enabled: z.boolean().default(false),
      /**
       * `Auto` is refused: the HorizontalPodAutoscaler already scales the backend on CPU and memory, and a VPA
       * resizing the same resources would fight it. `Off` only publishes recommendations.
       */
      updateMode: z.enum(['Off', 'Initial']).default('Off'),
    })
    .prefault({}),
  ingressController: z
    .strictObject({
      /** Namespace of the ingress-nginx controller pods, allowed in by the NetworkPolicies. */
      namespace: dnsLabel.default('ingress-nginx'),
    })
    .prefault({}),
});

export type StackConfig = z.infer<typeof schema> & { readonly stack: string };

/** The off-cluster backup bucket; a Kubernetes stack cannot be synthesized without one. */
export function requireObjectStore(config: StackConfig): NonNullable<StackConfig['backup']['objectStore']> {
  const store = config.backup.objectStore;
  if (!store) {
    throw new StackConfigError(
      `Invalid configuration for stack ${config.stack}: docuchat:backup.objectStore is required (endpoint and bucket of the S3-compatible storage the nightly dumps are copied to, off the cluster)`,
    );
  }
  return store;
}

/** Millicores of a CPU quantity (`250m` → 250, `1.5` → 1500). */
export function cpuMillis(q: string): number {
  return q.endsWith('m') ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

const BINARY_SUFFIX: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** Bytes of a memory quantity with a binary suffix (`1Gi` → 1073741824). */
export function memoryBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(q);
  if (!m) throw new StackConfigError(`not a memory quantity with a binary suffix: ${q}`);
  return Number(m[1]) * BINARY_SUFFIX[m[2]!]!;
}

function safeMemoryBytes(q: string): number {
  try {
    return memoryBytes(q);
  } catch {
    return Number.NaN;
  }
}

/**
 * Parses the `docuchat:` values of one stack. `values` maps keys without the `docuchat:` prefix to their values
 * (objects as in the YAML file, or JSON strings as `pulumi.runtime.allConfig()` returns them).
 */
export function parseStackConfig(stack: string, values: Record<string, unknown>): StackConfig {
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (SECRET_CONFIG_KEYS.has(key)) continue;
    input[key] = typeof value === 'string' && /^[[{]/.test(value.trim()) ? JSON.parse(value) : value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
    const key = `docuchat:${where.map(String).join('.')}`;
    const moved = issue.code === 'unrecognized_keys' && where.join('.').match(/^images\.(backend|frontend)$/);
    const message = moved
      ? "is not a setting any more: DocuChat's images are <docuchat:images.registry>/docuchat-<component>:<docuchat:release>"
      : issue.code === 'unrecognized_keys'
        ? 'is not a known setting (a typo?)'
        : issue.code === 'invalid_type' && issue.input === undefined
          ? 'is required'
          : `must be ${issue.message}`;
    throw new StackConfigError(`Invalid configuration for stack ${stack}: ${key} ${message}`);
  }
  return { ...parsed.data, stack };
}

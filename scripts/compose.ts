/**
 * Renders `docker-compose.yml`: the whole system on one developer machine (PostgreSQL + pgvector, Redis, the
 * backend and frontend images built from this repository, Prometheus with `dist/prometheus/`, Grafana with
 * `dist/grafana/`). Images, ports, paths and the scrape job come from the same typed sources as the Kubernetes
 * manifests, so the two setups cannot drift apart. Run `npx tsx scripts/compose.ts` after changing them.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { buildPrometheusConfig, PROMETHEUS_RULES_FILE } from '../alerts-ts/scrape-config.js';
import { DEFAULT_PORT, HEALTH_PATH, STREAMING_PATHS } from '../app/config/http.js';
import { grafanaFileTargets } from '../dashboards-ts/index.js';
import { resourceNames } from '../infra-ts/names.js';
import { memoryBytes, parseStackConfig } from '../infra-ts/stack-config.js';

export const COMPOSE_FILE = 'docker-compose.yml';
export const COMPOSE_COMMAND = 'npx tsx scripts/compose.ts';

/** Host ports of the seed's local setup (its "access to services" table). */
export const HOST_PORTS = {
  frontend: 3000,
  backend: DEFAULT_PORT,
  prometheus: 9090,
  grafana: 3001,
  postgres: 5432,
  redis: 6379,
} as const;

/** Ports the containers listen on. */
export const CONTAINER_PORTS = {
  frontend: 8080,
  backend: DEFAULT_PORT,
  prometheus: 9090,
  grafana: 3000,
  postgres: 5432,
  redis: 6379,
} as const;

/** Local-only database credentials: the database is published on 127.0.0.1 only and holds nothing real. */
const LOCAL_DB = { user: 'docuchat', password: 'docuchat', database: 'docuchat' } as const;

/** Rendered observability files in this repository (`npm run synth`). */
export const PROMETHEUS_DIST_DIR = 'dist/prometheus';
export const GRAFANA_DIST_DIR = 'dist/grafana';

/** Where the compose-only configuration files land inside the containers. */
const PROMETHEUS_CONFIG_PATH = '/etc/prometheus/docuchat-compose.yml';
const PROMETHEUS_RENDERED_DIR = '/etc/prometheus/rendered';
const FRONTEND_EXTRA_DIR = '/etc/nginx/docuchat.d';
/** The backend image's data directory (DATA_DIR in the Dockerfile and the Deployment). */
const BACKEND_DATA_DIR = '/var/lib/docuchat';

/**
 * The stack configuration of the `local` stack: only the keys without defaults are given, so every image
 * (PostgreSQL, Redis, Prometheus, Grafana) is the one the Kubernetes stacks use by default.
 */
function localStack() {
  return parseStackConfig('local', {
    namespace: 'docuchat-local',
    domains: { app: 'docuchat.localhost.test', grafana: 'grafana.docuchat.localhost.test' },
  });
}

/** Compose interpolates `$` everywhere, also inside `configs.content`; literal dollars are written `$$`. */
function literal(text: string): string {
  return text.replaceAll('$', '$$$$');
}

/**
 * A value taken from the developer's shell or `.env` when set there (`${NAME:-fallback}`); an empty value counts
 * as unset for the backend, which then uses its embedded default.
 */
export function fromHost(name: string, fallback = ''): string {
  return `\${${name}:-${fallback}}`;
}

/** `127.0.0.1:<host>:<container>`: the local stack is reachable from this machine only. */
function publish(host: number, container: number): string {
  return `127.0.0.1:${host}:${container}`;
}

/**
 * The Prometheus configuration for compose: the very scrape job the cluster uses (name, metrics path), with a
 * static target instead of Kubernetes pod discovery, and the rule file rendered in `dist/prometheus/`.
 */
export function composePrometheusConfig(): Record<string, unknown> {
  const stack = localStack();
  const cluster = buildPrometheusConfig({
    namespace: stack.namespace,
    backendComponent: 'backend',
    memoryLimitBytes: memoryBytes(stack.backend.resources.limits.memory),
  });
  const job = cluster.scrape_configs[0]!;
  return {
    global: cluster.global,
    // Relative to this file's directory, where dist/prometheus/ is mounted.
    rule_files: [`${path.posix.basename(PROMETHEUS_RENDERED_DIR)}/${PROMETHEUS_RULES_FILE}`],
    scrape_configs: [
      {
        job_name: job.job_name,
        metrics_path: job.metrics_path,
        static_configs: [
          {
            targets: [`${resourceNames.backend}:${CONTAINER_PORTS.backend}`],
            // The labels the cluster's relabelling adds, so alerts and dashboards read the same series.
            labels: { namespace: stack.namespace, pod: `${resourceNames.backend}-compose` },
          },
        ],
      },
    ],
  };
}

/**
 * nginx locations mounted into the frontend container: locally there is no Ingress, so the frontend proxies
 * `/api` to the backend itself, without buffering for the Server-Sent Events paths.
 */
export function frontendApiProxy(): string {
  const upstream = `http://${resourceNames.backend}:${CONTAINER_PORTS.backend}`;
  const streaming = STREAMING_PATHS.map(
    (p) => `location ${p} {
    proxy_pass ${upstream};
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_buffering off;
    proxy_cache off;
    proxy_read_timeout 1h;
    client_max_body_size 0;
}
`,
  ).join('');
  return `# Local only (docker-compose): the Ingress does this in Kubernetes.
${streaming}location /api/ {
    proxy_pass ${upstream};
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    client_max_body_size 0;
}
`;
}

/** A readiness probe run inside the backend container, which has Node but no curl. */
function backendHealthcheck(): string[] {
  const url = `http://127.0.0.1:${CONTAINER_PORTS.backend}${HEALTH_PATH}`;
  return [
    'CMD',
    'node',
    '-e',
    `fetch('${url}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
  ];
}

/** The compose document, as an object with a stable key order. */
export function buildCompose(): Record<string, unknown> {
  const stack = localStack();
  const image = (i: { repository: string; tag: string }) => `${i.repository}:${i.tag}`;
  const databaseUrl = `postgresql://${LOCAL_DB.user}:${LOCAL_DB.password}@${resourceNames.postgresql}:${CONTAINER_PORTS.postgres}/${LOCAL_DB.database}`;
  const backendEnvironment = {
    NODE_ENV: 'development',
    PORT: String(CONTAINER_PORTS.backend),
    DATA_DIR: BACKEND_DATA_DIR,
    DATABASE_URL: databaseUrl,
    REDIS_URL: `redis://${resourceNames.redis}:${CONTAINER_PORTS.redis}/0`,
    PUBLIC_BASE_URL: `http://localhost:${HOST_PORTS.frontend}`,
    PROMETHEUS_URL: `http://${resourceNames.prometheus}:${CONTAINER_PORTS.prometheus}`,
    // Empty means unset: the backend then uses its embedded defaults (local language model, a JWT secret
    // generated once into the data volume, e-mail and payments written to the log).
    OPENAI_API_KEY: fromHost('OPENAI_API_KEY'),
    OPENAI_BASE_URL: fromHost('OPENAI_BASE_URL'),
    JWT_SECRET: fromHost('JWT_SECRET'),
    ZIBAL_API_KEY: fromHost('ZIBAL_API_KEY'),
    SMTP_URL: fromHost('SMTP_URL'),
  };
  const backendImage = 'docuchat-backend:local';
  return {
    name: 'docuchat',
    services: {
      postgres: {
        image: image(stack.images.postgresql),
        environment: {
          POSTGRES_USER: LOCAL_DB.user,
          POSTGRES_PASSWORD: LOCAL_DB.password,
          POSTGRES_DB: LOCAL_DB.database,
        },
        ports: [publish(HOST_PORTS.postgres, CONTAINER_PORTS.postgres)],
        volumes: ['postgres-data:/var/lib/postgresql/data'],
        healthcheck: {
          test: ['CMD', 'pg_isready', '-U', LOCAL_DB.user, '-d', LOCAL_DB.database],
          interval: '5s',
          timeout: '5s',
          retries: 20,
        },
        networks: { default: { aliases: [resourceNames.postgresql] } },
      },
      redis: {
        image: image(stack.images.redis),
        ports: [publish(HOST_PORTS.redis, CONTAINER_PORTS.redis)],
        healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '5s', timeout: '5s', retries: 20 },
        networks: { default: { aliases: [resourceNames.redis] } },
      },
      backend: {
        build: { context: '.', dockerfile: 'Dockerfile' },
        image: backendImage,
        environment: backendEnvironment,
        ports: [publish(HOST_PORTS.backend, CONTAINER_PORTS.backend)],
        // As in Kubernetes: read-only root file system, scratch space in /tmp, state in the data volume.
        read_only: true,
        tmpfs: ['/tmp'],
        volumes: [`backend-data:${BACKEND_DATA_DIR}`],
        depends_on: {
          postgres: { condition: 'service_healthy' },
          redis: { condition: 'service_healthy' },
        },
        healthcheck: { test: backendHealthcheck(), interval: '10s', timeout: '5s', retries: 30 },
        networks: { default: { aliases: [resourceNames.backend] } },
      },
      frontend: {
        build: { context: '.', dockerfile: 'Dockerfile.frontend' },
        image: 'docuchat-frontend:local',
        ports: [publish(HOST_PORTS.frontend, CONTAINER_PORTS.frontend)],
        read_only: true,
        tmpfs: ['/tmp'],
        configs: [{ source: 'frontend-api-proxy', target: `${FRONTEND_EXTRA_DIR}/api-proxy.conf` }],
        depends_on: { backend: { condition: 'service_started' } },
        networks: { default: { aliases: [resourceNames.frontend] } },
      },
      prometheus: {
        image: image(stack.images.prometheus),
        command: [
          `--config.file=${PROMETHEUS_CONFIG_PATH}`,
          '--storage.tsdb.path=/prometheus',
          `--storage.tsdb.retention.time=${stack.prometheus.retentionDays}d`,
        ],
        ports: [publish(HOST_PORTS.prometheus, CONTAINER_PORTS.prometheus)],
        configs: [{ source: 'prometheus-config', target: PROMETHEUS_CONFIG_PATH }],
        volumes: [`./${PROMETHEUS_DIST_DIR}:${PROMETHEUS_RENDERED_DIR}:ro`, 'prometheus-data:/prometheus'],
        depends_on: { backend: { condition: 'service_started' } },
        networks: { default: { aliases: [resourceNames.prometheus] } },
      },
      grafana: {
        image: image(stack.images.grafana),
        environment: {
          GF_SECURITY_ADMIN_USER: 'admin',
          GF_SECURITY_ADMIN_PASSWORD: fromHost('GRAFANA_ADMIN_PASSWORD', 'admin'),
          GF_PATHS_PROVISIONING: '/etc/grafana/provisioning',
          GF_USERS_ALLOW_SIGN_UP: 'false',
        },
        ports: [publish(HOST_PORTS.grafana, CONTAINER_PORTS.grafana)],
        // Each rendered file where dashboards-ts says Grafana reads it. No data volume: as in the cluster, Grafana
        // keeps no state, everything it shows is provisioned from git.
        volumes: [
          ...Object.entries(grafanaFileTargets()).map(
            ([file, dir]) => `./${GRAFANA_DIST_DIR}/${file}:${dir}/${file}:ro`,
          ),
        ],
        depends_on: { prometheus: { condition: 'service_started' } },
        networks: { default: { aliases: [resourceNames.grafana] } },
      },
      // The daily billing job, run by hand: `docker compose run --rm billing --date 2025-10-05 --dry-run`.
      billing: {
        image: backendImage,
        profiles: ['jobs'],
        entrypoint: ['node', 'build/billing/main.js'],
        environment: backendEnvironment,
        read_only: true,
        tmpfs: ['/tmp'],
        volumes: [`backend-data:${BACKEND_DATA_DIR}`],
        depends_on: { postgres: { condition: 'service_healthy' } },
      },
    },
    configs: {
      'prometheus-config': { content: literal(stringify(composePrometheusConfig(), { lineWidth: 0 })) },
      'frontend-api-proxy': { content: literal(frontendApiProxy()) },
    },
    volumes: {
      'postgres-data': {},
      'backend-data': {},
      'prometheus-data': {},
    },
  };
}

/** The file as committed: a header naming the generator, then the document. */
export function renderCompose(): string {
  const header = `# Generated by scripts/compose.ts — do not edit. Regenerate with: ${COMPOSE_COMMAND}\n# Needs Docker Compose 2.23 or newer (configs with inline content).\n`;
  return (
    header + stringify(buildCompose(), { lineWidth: 0, blockQuote: 'literal', aliasDuplicateObjects: false })
  );
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  // Beside dist/: the repository root, or beside the directory `cdk8s synth --output` names (CDK8S_OUTDIR).
  const root = process.env.CDK8S_OUTDIR
    ? path.resolve(process.env.CDK8S_OUTDIR, '..')
    : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  writeFileSync(path.join(root, COMPOSE_FILE), renderCompose());
  console.log(`wrote ${COMPOSE_FILE}`);
}

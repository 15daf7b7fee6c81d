/**
 * The local full stack (`docker-compose.yml`), checked without Docker: it is exactly what the generator renders,
 * publishes the seed's ports on this machine only, wires every service to names that resolve inside compose,
 * runs the same images and scrape job as the cluster, and its Prometheus configuration passes promtool with the
 * rules from dist/prometheus/.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { STREAMING_PATHS } from '../app/config/http.js';
import { loadConfig } from '../app/config/index.js';
import {
  COMPOSE_COMMAND,
  COMPOSE_FILE,
  CONTAINER_PORTS,
  GRAFANA_DIST_DIR,
  HOST_PORTS,
  PROMETHEUS_DIST_DIR,
  renderCompose,
} from '../scripts/compose.js';

const root = path.resolve(import.meta.dirname, '..');
const text = readFileSync(path.join(root, COMPOSE_FILE), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  tmpfs?: string[];
  read_only?: boolean;
  command?: string[];
  configs?: Array<{ source: string; target: string }>;
  networks?: { default?: { aliases?: string[] } };
  profiles?: string[];
}
interface Compose {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
}

/** What compose makes of `${NAME:-fallback}` and `$$` when the developer has set nothing. */
function interpolateUnset(value: string): string {
  return value
    .replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name: string, fallback: string) => fallback)
    .replaceAll('$$', '$');
}

const compose = parse(text) as Compose;
const services = compose.services;

/** Every host name a container can reach: service names and their network aliases. */
const resolvable = new Map<string, string>(
  Object.entries(services).flatMap(([name, s]) => [
    [name, name] as [string, string],
    ...(s.networks?.default?.aliases ?? []).map((a) => [a, name] as [string, string]),
  ]),
);

/** The service a URL points at and whether the port is one that service's container listens on. */
function target(url: string): { service: string | undefined; portOk: boolean } {
  const u = new URL(url);
  const service = resolvable.get(u.hostname);
  const containerPort = service ? CONTAINER_PORTS[service as keyof typeof CONTAINER_PORTS] : undefined;
  return { service, portOk: containerPort !== undefined && Number(u.port) === containerPort };
}

function prodContainerImage(file: string): string {
  const obj = parseAllDocuments(
    readFileSync(path.join(root, 'dist', 'k8s', 'prod', file), 'utf8'),
  )[0]!.toJSON() as {
    spec: { template: { spec: { containers: Array<{ image: string }> } } };
  };
  return obj.spec.template.spec.containers[0]!.image;
}

describe('docker-compose.yml', () => {
  it(`is what scripts/compose.ts renders (stale: run \`${COMPOSE_COMMAND}\`)`, () => {
    expect(
      text === renderCompose(),
      `docker-compose.yml is stale: run \`${COMPOSE_COMMAND}\` and commit it`,
    ).toBe(true);
  });

  it("publishes the seed's ports, on this machine only", () => {
    const published = Object.fromEntries(
      Object.entries(services)
        .filter(([, s]) => s.ports)
        .map(([name, s]) => [name, s.ports!]),
    );
    expect(published).toEqual({
      postgres: ['127.0.0.1:5432:5432'],
      redis: ['127.0.0.1:6379:6379'],
      backend: ['127.0.0.1:8000:8000'],
      frontend: ['127.0.0.1:3000:8080'],
      prometheus: ['127.0.0.1:9090:9090'],
      grafana: ['127.0.0.1:3001:3000'],
    });
    expect(HOST_PORTS).toEqual({
      frontend: 3000,
      backend: 8000,
      prometheus: 9090,
      grafana: 3001,
      postgres: 5432,
      redis: 6379,
    });
  });

  it('runs the seed images for the data stores and the same monitoring images as the cluster', () => {
    expect(services.postgres?.image).toBe('pgvector/pgvector:pg16');
    expect(services.redis?.image).toBe('redis:7-alpine');
    expect(services.postgres?.image).toBe(prodContainerImage('statefulset-docuchat-postgresql.yaml'));
    expect(services.redis?.image).toBe(prodContainerImage('deployment-docuchat-redis.yaml'));
    expect(services.prometheus?.image).toBe(prodContainerImage('statefulset-docuchat-prometheus.yaml'));
    expect(services.grafana?.image).toBe(prodContainerImage('deployment-docuchat-grafana.yaml'));
  });

  it('builds the backend and frontend from the Dockerfiles in this repository', () => {
    expect(services.backend?.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(services.frontend?.build).toEqual({ context: '.', dockerfile: 'Dockerfile.frontend' });
  });

  it('gives the backend a configuration it accepts, with nothing set on the host', () => {
    const env = Object.fromEntries(
      Object.entries(services.backend!.environment!).map(([k, v]) => [k, interpolateUnset(v)]),
    );
    const config = loadConfig(env);
    expect(config.llmProvider).toBe('local');
    expect(config.JWT_SECRET).toBeUndefined();
  });

  it('points the backend at PostgreSQL, Redis and Prometheus through names that resolve inside compose', () => {
    const env = services.backend!.environment!;
    expect(target(env.DATABASE_URL!)).toEqual({ service: 'postgres', portOk: true });
    expect(target(env.REDIS_URL!)).toEqual({ service: 'redis', portOk: true });
    expect(target(env.PROMETHEUS_URL!)).toEqual({ service: 'prometheus', portOk: true });
  });

  it('runs backend and frontend with a read-only root file system and scratch space in /tmp, as in the cluster', () => {
    for (const name of ['backend', 'frontend']) {
      expect(services[name]?.read_only, name).toBe(true);
      expect(services[name]?.tmpfs, name).toEqual(['/tmp']);
    }
    expect(services.backend?.volumes).toContain(`backend-data:${services.backend?.environment?.DATA_DIR}`);
  });

  it('escapes every literal dollar, so compose substitutes only the variables meant for it', () => {
    const stray = text.replace(/\$\$/g, '').match(/\$(?!\{[A-Z_]+:-[^}]*\})/g);
    expect(stray).toBeNull();
    const hostVariables = [...text.matchAll(/\$\{([A-Z_]+):-/g)].map((m) => m[1]!);
    const known = [
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
      'JWT_SECRET',
      'ZIBAL_API_KEY',
      'SMTP_URL',
      'GRAFANA_ADMIN_PASSWORD',
    ];
    expect(hostVariables.filter((v) => !known.includes(v))).toEqual([]);
  });

  it('lets the frontend reach the API like the Ingress does, with streams unbuffered', () => {
    const mount = services.frontend!.configs![0]!;
    const proxy = interpolateUnset(compose.configs[mount.source]!.content);
    // The frontend image includes exactly this directory's *.conf inside its server block.
    const dockerfile = readFileSync(path.join(root, 'Dockerfile.frontend'), 'utf8');
    const include = /include (\S+)\/\*\.conf;/.exec(dockerfile)?.[1];
    expect(path.posix.dirname(mount.target)).toBe(include);
    expect(mount.target).toMatch(/\.conf$/);
    for (const streaming of STREAMING_PATHS) {
      const block = new RegExp(`location ${streaming} \\{([^}]*)\\}`).exec(proxy)?.[1] ?? '';
      expect(block, streaming).toMatch(/proxy_buffering off;/);
      expect(target(/proxy_pass (\S+);/.exec(block)![1]!)).toEqual({ service: 'backend', portOk: true });
    }
    expect(proxy).toMatch(/location \/api\/ \{/);
  });
});

describe('Prometheus in compose', () => {
  const service = services.prometheus!;
  const configMount = service.configs![0]!;
  const content = interpolateUnset(compose.configs[configMount.source]!.content);
  const config = parse(content) as {
    rule_files: string[];
    scrape_configs: Array<{
      job_name: string;
      metrics_path: string;
      static_configs: Array<{ targets: string[] }>;
    }>;
  };
  const cluster = parse(readFileSync(path.join(root, PROMETHEUS_DIST_DIR, 'prometheus.yml'), 'utf8')) as {
    global: unknown;
    scrape_configs: Array<{ job_name: string; metrics_path: string }>;
  };

  it('scrapes the backend with the job name and metrics path the cluster uses, so the alerts apply unchanged', () => {
    expect(config.scrape_configs.map((j) => [j.job_name, j.metrics_path])).toEqual(
      cluster.scrape_configs.map((j) => [j.job_name, j.metrics_path]),
    );
    for (const t of config.scrape_configs[0]!.static_configs[0]!.targets) {
      expect(target(`http://${t}`)).toEqual({ service: 'backend', portOk: true });
    }
  });

  it('loads the rule files rendered in dist/prometheus/, and promtool accepts configuration and rules', async () => {
    const mount = service.volumes!.find((v) => v.startsWith(`./${PROMETHEUS_DIST_DIR}:`))!;
    const [, mountedAt] = mount.split(':');
    const configDir = path.posix.dirname(configMount.target);
    const work = mkdtempSync(path.join(tmpdir(), 'docuchat-compose-prom-'));
    try {
      // Recreate the container's layout: the config file, and dist/prometheus where the volume mounts it.
      writeFileSync(path.join(work, path.posix.basename(configMount.target)), content);
      symlinkSync(
        path.join(root, PROMETHEUS_DIST_DIR),
        path.join(work, path.posix.relative(configDir, mountedAt!)),
      );
      for (const rules of config.rule_files) expect(existsSync(path.join(work, rules)), rules).toBe(true);
      const { stdout } = await promisify(execFile)('promtool', [
        'check',
        'config',
        path.join(work, path.posix.basename(configMount.target)),
      ]);
      expect(stdout).toMatch(/SUCCESS/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('Grafana in compose', () => {
  const service = services.grafana!;

  it('mounts every rendered dashboard and provisioning file from dist/grafana/', () => {
    const sources = service.volumes!.map((v) => v.split(':')[0]!);
    expect(sources.length).toBeGreaterThanOrEqual(4);
    for (const source of sources) {
      expect(source.startsWith(`./${GRAFANA_DIST_DIR}/`), source).toBe(true);
      expect(existsSync(path.join(root, source)), `${source} exists (run npm run synth)`).toBe(true);
    }
  });

  it("reaches Prometheus at the provisioned datasource's URL", () => {
    const datasources = parse(
      readFileSync(path.join(root, GRAFANA_DIST_DIR, 'provisioning-datasources.yml'), 'utf8'),
    ) as {
      datasources: Array<{ url: string }>;
    };
    for (const ds of datasources.datasources)
      expect(target(ds.url)).toEqual({ service: 'prometheus', portOk: true });
  });
});

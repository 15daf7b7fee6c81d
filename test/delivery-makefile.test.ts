/**
 * The Makefile of the operations guide: its targets delegate to docker compose and npm scripts, and
 * `make devops-check` really probes the seed's health URLs and fails when a service does not answer.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_PORTS } from '../scripts/compose.js';

const root = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

async function make(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('make', ['--no-print-directory', '-C', root, ...args], {
      timeout: 60_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

const seedTargets = [
  'devops-up',
  'devops-down',
  'devops-check',
  'devops-logs',
  'test-backend',
  'test-frontend',
  'lint',
];

describe('Makefile', () => {
  it.each(seedTargets)('has the seed target %s', async (t) => {
    const { code, output } = await make('-n', t);
    expect(code, output).toBe(0);
  });

  it('make -n devops-up shows the compose command that starts every service', async () => {
    const { output } = await make('-n', 'devops-up');
    expect(output.split('\n')[0]).toBe('docker compose up -d --build');
  });

  it('devops-down and devops-logs delegate to docker compose', async () => {
    expect((await make('-n', 'devops-down')).output).toMatch(/^docker compose down$/m);
    expect((await make('-n', 'devops-logs')).output).toMatch(/^docker compose logs -f$/m);
  });

  it('tests and lint delegate to npm scripts that package.json defines', async () => {
    const scripts = Object.keys(
      (
        JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
          scripts: Record<string, string>;
        }
      ).scripts,
    );
    const commands = (
      await Promise.all(
        ['test-backend', 'test-frontend', 'lint'].map(async (t) => (await make('-n', t)).output),
      )
    ).join('\n');
    const used = [...commands.matchAll(/^npm (?:run )?([\w:-]+)/gm)].map((m) => m[1]!);
    expect(used).toEqual(expect.arrayContaining(['test', 'lint', 'typecheck']));
    expect(used.filter((s) => !scripts.includes(s))).toEqual([]);
  });

  it("devops-check probes the seed's URLs on the ports docker-compose.yml publishes", async () => {
    const { output } = await make('-n', 'devops-check');
    expect(output).toContain(`http://localhost:${HOST_PORTS.backend}/api/v1/health`);
    expect(output).toContain(`http://localhost:${HOST_PORTS.prometheus}/-/healthy`);
    expect(output).toContain(`http://localhost:${HOST_PORTS.grafana}/api/health`);
    expect(output).toContain(`http://localhost:${HOST_PORTS.frontend}/`);
  });
});

describe('make devops-check against running services', () => {
  const healthPaths = {
    BACKEND_URL: '/api/v1/health',
    FRONTEND_URL: '/healthz',
    PROMETHEUS_URL: '/-/healthy',
    GRAFANA_URL: '/api/health',
  } as const;
  const servers = new Map<keyof typeof healthPaths, Server>();
  const requested: string[] = [];
  let healthy = true;

  beforeAll(async () => {
    for (const [variable, healthPath] of Object.entries(healthPaths) as Array<
      [keyof typeof healthPaths, string]
    >) {
      const server = createServer((req, res) => {
        requested.push(`${variable} ${req.url}`);
        const up = req.url === healthPath && (variable !== 'GRAFANA_URL' || healthy);
        res.statusCode = up ? 200 : 503;
        res.end(up ? 'ok' : 'down');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.set(variable, server);
    }
  });
  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => new Promise((resolve) => s.close(resolve))));
  });

  const urls = () =>
    [...servers].map(([variable, s]) => `${variable}=http://127.0.0.1:${(s.address() as AddressInfo).port}`);

  it('passes when every service answers its health URL', async () => {
    healthy = true;
    requested.length = 0;
    const { code, output } = await make('devops-check', ...urls());
    expect(code, output).toBe(0);
    expect(output).toMatch(/All services healthy/);
    expect(requested.sort()).toEqual(
      Object.entries(healthPaths)
        .map(([v, p]) => `${v} ${p}`)
        .sort(),
    );
  });

  it('fails, naming the service, when one does not answer', async () => {
    healthy = false;
    const { code, output } = await make('devops-check', ...urls());
    expect(code).not.toBe(0);
    expect(output).toMatch(/Grafana unhealthy/);
    expect(output).toMatch(/Unhealthy: grafana/);
    expect(output).not.toMatch(/All services healthy/);
  });
});

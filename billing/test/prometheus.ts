/**
 * A real Prometheus (the Debian `prometheus` package) on loopback holding a known counter history, loaded with
 * `promtool tsdb create-blocks-from openmetrics`. Retention is unlimited so fixed historical days stay queryable.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface CounterSeries {
  labels: Record<string, string>;
  /** [unix seconds, value] in time order. */
  samples: [number, number][];
}

export interface TestPrometheus {
  url: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export function openMetrics(name: string, series: CounterSeries[]): string {
  const lines: string[] = [];
  for (const s of series) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    for (const [t, v] of s.samples) lines.push(`${name}{${labels}} ${v} ${t}`);
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

export async function startPrometheusWithHistory(
  name: string,
  series: CounterSeries[],
): Promise<TestPrometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), 'docuchat-prom-'));
  const data = path.join(dir, 'data');
  writeFileSync(path.join(dir, 'history.om'), openMetrics(name, series));
  writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
  await promisify(execFile)('promtool', [
    'tsdb',
    'create-blocks-from',
    'openmetrics',
    path.join(dir, 'history.om'),
    data,
  ]);
  const port = await freePort();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      '--storage.tsdb.retention.time=100y',
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) break;
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, close };
    await new Promise((r) => setTimeout(r, 100));
  }
  await close();
  throw new Error(`prometheus did not become ready:\n${stderr}`);
}

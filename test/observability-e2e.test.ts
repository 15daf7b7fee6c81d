/**
 * End to end: a running DocuChat (embedded PGlite, the real `openai` SDK against the fake OpenAI server) exports
 * every metric the dist/ rules and dashboards use, and a real Prometheus (Debian's `prometheus`, loopback only,
 * static target, 1 s intervals) loading dist/prometheus/alerts.yml unchanged raises OpenAIHighFailureRate when
 * the upstream fails — and not while it is healthy. `for: 5m` is kept, so "raised" means pending (or firing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { METRICS_PATH } from '../app/config/http.js';
import { type FakeOpenAI, startFakeOpenAI } from './fakes/openai.js';
import {
  distDashboardExprs,
  distRuleExprs,
  PROMETHEUS_DIST,
  selectedSeries,
} from './observability-promql.js';
import { type Account, startTestServer, type TestServer } from './support/server.js';

const CHAT_MODELS = ['gpt-4o', 'gpt-4o-mini'];

let fake: FakeOpenAI;
let server: TestServer;
let account: Account;
let prometheus: ChildProcess | undefined;
let prometheusUrl = '';
let prometheusLog = '';
const scratch = mkdtempSync(path.join(tmpdir(), 'docuchat-prom-e2e-'));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n--- prometheus log ---\n${prometheusLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The server's warnings and errors, to explain a failed request. */
function problems(): string {
  return server.logs
    .filter((l) => /"level":[456]0/.test(l))
    .slice(-10)
    .join('\n');
}

async function chat(message: string) {
  return server.api('POST', '/api/v1/chat', { token: account.accessToken, json: { message, stream: false } });
}

async function promQuery(
  query: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await res.json()) as { status: string; data: { result: never[] } };
  return body.data.result;
}

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

async function alerts(): Promise<PromAlert[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/alerts`);
  return ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  server = await startTestServer({
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'test',
    CHAT_MODELS: CHAT_MODELS.join(','),
  });
  account = await server.signUp({ tenant_name: 'Observability Corp' });
}, 120_000);

afterAll(async () => {
  if (prometheus?.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await server?.stop();
  await fake?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('observability end to end', () => {
  it('after one upload and chats (one with a fallback), /api/v1/metrics exports every metric dist/ rules and dashboards use', async () => {
    const form = new FormData();
    form.append(
      'file',
      new Blob(['# Refunds\n\nRefunds are paid within 14 days of a written request to billing.\n'], {
        type: 'text/markdown',
      }),
      'refunds.md',
    );
    const upload = await server.api('POST', '/api/v1/documents', { token: account.accessToken, body: form });
    expect([200, 202], upload.text).toContain(upload.status);
    const id = upload.body.document.id as string;
    await until('the document to be ingested', async () => {
      const doc = await server.api('GET', `/api/v1/documents/${id}`, { token: account.accessToken });
      if (doc.body.status === 'failed') throw new Error(`ingestion failed: ${doc.text}`);
      return doc.body.status === 'ready' ? true : undefined;
    });

    const answer = await chat('How long do refunds take?');
    expect(answer.status, `${answer.text}\n${problems()}`).toBe(200);
    expect(answer.body.model).toBe('gpt-4o');
    // The primary fails once, so the next answer falls back and ml_fallback_total gets a sample too. (This also
    // creates the gpt-4o success and error series before Prometheus starts: a labelled prom-client series first
    // appears at its first increment, and Prometheus takes a series' first value as its start, not as a rise.)
    fake.setBehavior('gpt-4o', { status: 500, failures: 1 });
    const fallback = await chat('Are refunds paid within 14 days?');
    expect(fallback.status, `${fallback.text}\n${problems()}`).toBe(200);
    expect(fallback.body.model).toBe('gpt-4o-mini');

    const res = await fetch(`${server.url}${METRICS_PATH}`);
    expect(res.status).toBe(200);
    const exposition = await res.text();
    const exported = new Set(
      exposition
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(/[{ ]/)[0]),
    );
    const used = new Set(
      [...distRuleExprs(), ...distDashboardExprs()].flatMap((e) => selectedSeries(e.expr).map((s) => s.name)),
    );
    used.delete('up'); // made by Prometheus itself; checked below against the real Prometheus
    expect(used.size).toBeGreaterThanOrEqual(8);
    for (const name of used) expect(exported, `${name} has no sample at ${METRICS_PATH}`).toContain(name);
    expect(exposition).toContain(`tenant="${account.tenantSlug}"`);
  }, 120_000);

  it('a real Prometheus with the dist/ rules: OpenAIHighFailureRate stays quiet while the upstream is healthy and is raised when it fails', async () => {
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const target = new URL(server.url).host;
    // Test-only configuration: the dist/ rule file unchanged, a static loopback target instead of Kubernetes
    // discovery, and 1 s intervals instead of 30 s.
    writeFileSync(
      path.join(scratch, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [path.join(PROMETHEUS_DIST, 'alerts.yml')],
        scrape_configs: [
          {
            job_name: 'docuchat-backend',
            metrics_path: METRICS_PATH,
            static_configs: [{ targets: [target] }],
          },
        ],
      }),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${path.join(scratch, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(scratch, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // If the test process exits without running afterAll, do not leave Prometheus behind.
    const child = prometheus;
    process.once('exit', () => child.kill('SIGTERM'));
    prometheus.stdout?.on('data', (d) => (prometheusLog += d));
    prometheus.stderr?.on('data', (d) => (prometheusLog += d));

    // Healthy upstream: answers succeed, Prometheus sees the success counter grow.
    fake.reset();
    await until('Prometheus to scrape DocuChat', async () => {
      const up = await promQuery('up{job="docuchat-backend"}').catch(() => []);
      return up[0]?.value[1] === '1' ? true : undefined;
    });
    // Questions about the uploaded document, each different, so every one reaches the model (no cache hit).
    for (let i = 0; i < 3; i++) {
      const r = await chat(`Refunds question ${i}: how long do refunds take?`);
      expect(r.status, `${r.text}\n${problems()}`).toBe(200);
      expect(r.body.model).toBe('gpt-4o');
    }
    await until('successful calls to show in a rate', async () => {
      const r = await promQuery('sum(rate(openai_request_total{status="success"}[5m])) > 0');
      return r.length > 0 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 3000)); // a few more evaluations of every rule
    const rules = await (await fetch(`${prometheusUrl}/api/v1/rules`)).json();
    const loaded = rules.data.groups.flatMap((g: { rules: { name: string; health: string }[] }) => g.rules);
    expect(loaded).toHaveLength(8);
    for (const r of loaded) expect(r.health, `${r.name} evaluates without error`).toBe('ok');
    expect((await alerts()).filter((a) => a.labels.alertname === 'OpenAIHighFailureRate')).toEqual([]);

    // Failing upstream: every chat model answers 500.
    for (const model of CHAT_MODELS) fake.setBehavior(model, { status: 500 });
    // Questions about the document, so each one reaches the models.
    for (let i = 0; i < 3; i++) {
      const r = await chat(`Refunds question ${i}: are refunds paid within 14 days?`);
      expect(r.status, `${r.text}\n${problems()}`).toBeGreaterThanOrEqual(500);
    }
    const raised = await until('OpenAIHighFailureRate to be raised', async () => {
      const found = (await alerts()).filter((a) => a.labels.alertname === 'OpenAIHighFailureRate');
      return found.length > 0 ? found : undefined;
    });
    expect(['pending', 'firing']).toContain(raised[0]!.state);
    expect(raised.map((a) => a.labels.model).sort()).toContain('gpt-4o');
    expect(raised[0]!.labels.severity).toBe('critical');
  }, 180_000);
});

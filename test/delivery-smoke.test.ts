/**
 * The deploy workflow's smoke step, run unchanged against a real DocuChat (embedded database, offline language
 * model): what proves a production rollout must pass on a healthy server.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type RunningDocuChat, startDocuChat } from '../app/server/start.js';

const root = path.resolve(import.meta.dirname, '..');

function smokeScript(): string {
  const deploy = parse(readFileSync(path.join(root, '.github', 'workflows', 'deploy.yml'), 'utf8')) as {
    jobs: { deploy: { steps: Array<{ id?: string; run?: string }> } };
  };
  const script = deploy.jobs.deploy.steps.find((s) => s.id === 'smoke')?.run;
  if (!script) throw new Error('deploy.yml has no step with id smoke');
  return script;
}

describe('the deploy smoke tests against a running DocuChat', () => {
  let dataDir: string;
  let work: string;
  let docuchat: RunningDocuChat;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'docuchat-smoke-data-'));
    work = mkdtempSync(path.join(tmpdir(), 'docuchat-smoke-run-'));
    docuchat = await startDocuChat({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      LLM_PROVIDER: 'local',
      SERVE_WEB: 'false',
      // CI's second leg runs the suite against real PostgreSQL + pgvector and Redis services.
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
  });

  afterAll(async () => {
    await docuchat?.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('pass: health, register, form login and a streamed chat answer, with a summary table', async () => {
    const file = path.join(work, 'smoke.sh');
    const summary = path.join(work, 'summary.md');
    writeFileSync(file, smokeScript());
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: work,
        SMOKE_BASE_URL: docuchat.url,
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_RUN_ID: '42',
        GITHUB_RUN_ATTEMPT: '1',
      },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const [status] = (await once(child, 'close')) as [number | null];

    expect(status, output).toBe(0);
    const table = readFileSync(summary, 'utf8');
    expect(table).toMatch(/\| health \| ok/);
    expect(table).toMatch(/\| register \| 201 smoke\+42-1@example\.com \|/);
    expect(table).toMatch(/\| login \| ok: bearer token \|/);
    expect(table).toMatch(/\| chat \| streamed answer, \d+ events \|/);
  });
});

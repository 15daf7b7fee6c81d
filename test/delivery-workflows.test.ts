/**
 * The GitHub Actions workflows: valid against GitHub's workflow schema, every action pinned, every npm script
 * they call real, and the shell steps that decide versions and prove deployments behave as an operator expects.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { appImage } from '../infra-ts/components/workload-parts.js';
import { latestRelease } from '../infra-ts/release.js';
import { parseStackConfig } from '../infra-ts/stack-config.js';
import { readStackConfig } from '../infra-ts/stack-files.js';

const root = path.resolve(import.meta.dirname, '..');
const workflowDir = path.join(root, '.github', 'workflows');
const workflowFiles = readdirSync(workflowDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  if?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  steps?: Step[];
  services?: Record<string, { image: string }>;
  strategy?: { matrix?: Record<string, unknown> };
  if?: string;
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

function readWorkflow(file: string): Workflow {
  return parse(readFileSync(path.join(workflowDir, file), 'utf8')) as Workflow;
}

function allSteps(wf: Workflow): Array<{ job: string; step: Step }> {
  return Object.entries(wf.jobs).flatMap(([job, j]) => (j.steps ?? []).map((step) => ({ job, step })));
}

function step(file: string, job: string, id: string): Step {
  const found = readWorkflow(file).jobs[job]?.steps?.find((s) => s.id === id);
  if (!found) throw new Error(`${file}: job ${job} has no step with id ${id}`);
  return found;
}

/**
 * Runs a `run:` block the way GitHub's default shell on Linux does (`bash -e -o pipefail`). Asynchronous, so
 * servers in this process keep answering while the script talks to them.
 */
async function runStep(
  script: string,
  options: { cwd: string; env: Record<string, string> },
): Promise<{ status: number | null; output: string }> {
  const file = path.join(options.cwd, '.step.sh');
  writeFileSync(file, script);
  try {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: options.cwd, ...options.env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const [status] = (await once(child, 'close')) as [number | null];
    return { status, output };
  } finally {
    rmSync(file, { force: true });
  }
}

/** A GitHub Actions expression as a workflow file spells it. */
const expression = (e: string) => ['$', '{{ ', e, ' }}'].join('');

const packageScripts = Object.keys(
  (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts,
);

/** npm scripts a shell text runs: `npm run x`, `npm test`, `npm start`. */
function npmScriptsIn(text: string): string[] {
  const names = [...text.matchAll(/\bnpm\s+run(?:-script)?\s+([\w:.-]+)/g)].map((m) => m[1]!);
  for (const m of text.matchAll(/\bnpm\s+(test|start)\b/g)) names.push(m[1]!);
  return names;
}

describe('workflow files', () => {
  it('there are CI, deploy and pull-request preview workflows', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', 'deploy.yml', 'preview.yml']));
  });

  it.each(workflowFiles)('%s validates against the GitHub workflow schema', (file) => {
    const state = validateWorkflow(readFileSync(path.join(workflowDir, file), 'utf8'));
    expect(state.errors).toEqual([]);
  });

  it('the validator rejects a misspelt key, so a pass means something', () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-onn: ubuntu-24.04\n    steps:\n      - run: echo hi\n';
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });

  it.each(workflowFiles)('%s pins every action to a version or a commit', (file) => {
    const unpinned = allSteps(readWorkflow(file))
      .map(({ step }) => step.uses)
      .filter((uses): uses is string => uses !== undefined && !uses.startsWith('./'))
      .filter((uses) => !/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(uses));
    expect(unpinned, 'pin with @vN (or a full commit SHA), never a branch').toEqual([]);
  });

  it.each(workflowFiles)('%s runs only npm scripts that package.json defines', (file) => {
    const missing = allSteps(readWorkflow(file))
      .flatMap(({ step }) => npmScriptsIn(step.run ?? ''))
      .filter((name) => !packageScripts.includes(name));
    expect(missing, 'add the script to package.json or fix the workflow').toEqual([]);
  });

  it.each(workflowFiles)('%s: every job it waits for exists', (file) => {
    const wf = readWorkflow(file);
    const dangling = Object.values(wf.jobs)
      .flatMap((job) => (job.needs === undefined ? [] : [job.needs].flat()))
      .filter((need) => !(need in wf.jobs));
    expect(dangling).toEqual([]);
  });
});

describe('CI', () => {
  const ci = readWorkflow('ci.yml');

  it('runs the suite twice: on the embedded defaults and against the PostgreSQL + pgvector and Redis services', () => {
    const test = ci.jobs.test!;
    expect(test.strategy?.matrix?.backing).toEqual(['embedded', 'services']);
    expect(Object.values(test.services ?? {}).map((s) => s.image)).toEqual(
      expect.arrayContaining(['pgvector/pgvector:pg16', 'redis:7-alpine']),
    );
    const pointAtServices = test.steps!.find((s) => s.if === "matrix.backing == 'services'")?.run ?? '';
    expect(pointAtServices).toMatch(/DATABASE_URL=postgresql:\/\/docuchat:docuchat@postgres:5432\/docuchat/);
    expect(pointAtServices).toMatch(/REDIS_URL=redis:\/\/redis:6379/);
    expect(test.steps!.some((s) => s.run === 'npm test')).toBe(true);
  });

  it('installs at least the Debian packages .ci/run installs for the tests', () => {
    const ciRun = readFileSync(path.join(root, '.ci', 'run'), 'utf8');
    const installLine = ciRun.split('\n').find((l) => /apt-get install/.test(l)) ?? '';
    const wanted = installLine
      .replace(/.*apt-get install/, '')
      .split(/\s+/)
      .filter((w) => w && !w.startsWith('-') && !w.startsWith('>'));
    expect(wanted.length).toBeGreaterThan(0);
    expect(ci.env?.TEST_APT_PACKAGES?.split(' ')).toEqual(expect.arrayContaining(wanted));
  });

  it('never publishes images or a release tag that lint, tests and the freshness check did not pass', () => {
    expect(ci.jobs.images?.needs).toEqual(expect.arrayContaining(['lint', 'test', 'fresh']));
    expect(ci.jobs.release?.needs).toEqual(expect.arrayContaining(['images']));
    expect(ci.jobs.release?.if).toMatch(/refs\/heads\/main/);
  });

  it('builds both images from Dockerfiles that exist', () => {
    const include = (ci.jobs.images?.strategy?.matrix?.include ?? []) as Array<{
      image: string;
      dockerfile: string;
    }>;
    expect(include.map((i) => i.image).sort()).toEqual(['docuchat-backend', 'docuchat-frontend']);
    for (const { dockerfile } of include)
      expect(() => readFileSync(path.join(root, dockerfile))).not.toThrow();
  });

  describe('next version', () => {
    const script = step('ci.yml', 'version', 'next').run!;
    let repo: string;

    beforeAll(() => {
      repo = mkdtempSync(path.join(tmpdir(), 'docuchat-version-'));
      const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
      git('init', '-q');
      git(
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@example.com',
        'commit',
        '-q',
        '--allow-empty',
        '-m',
        'first',
      );
    });
    afterAll(() => rmSync(repo, { recursive: true, force: true }));

    async function nextVersion(): Promise<string> {
      const output = path.join(repo, '.github-output');
      writeFileSync(output, '');
      const result = await runStep(script, { cwd: repo, env: { GITHUB_OUTPUT: output } });
      expect(result.status, result.output).toBe(0);
      return /^version=(.*)$/m.exec(readFileSync(output, 'utf8'))?.[1] ?? '';
    }
    const tag = (name: string) => execFileSync('git', ['tag', name], { cwd: repo });

    it('starts at v0.0.1 when nothing was released', async () => {
      expect(await nextVersion()).toBe('v0.0.1');
    });

    it('bumps the patch of the highest release, comparing numbers, not text', async () => {
      tag('v0.1.9');
      tag('v0.1.10');
      expect(await nextVersion()).toBe('v0.1.11');
    });

    it('ignores pre-release and malformed tags', async () => {
      tag('v0.2.0-rc.1');
      tag('vnext');
      tag('release-9.9.9');
      expect(await nextVersion()).toBe('v0.1.11');
    });

    it('follows a new minor or major release', async () => {
      tag('v1.0.0');
      expect(await nextVersion()).toBe('v1.0.1');
    });
  });
});

describe('deploy', () => {
  const deploy = readWorkflow('deploy.yml');

  it("runs on release tags and by hand, taking the seed's production/staging as the stacks' names", async () => {
    expect(deploy.on.push).toEqual({ tags: ['v*.*.*'] });
    const dispatch = deploy.on.workflow_dispatch as { inputs: { environment: { options: string[] } } };
    expect(dispatch.inputs.environment.options).toEqual(['dev', 'prod', 'staging', 'production']);
    const resolve = step('deploy.yml', 'stack', 'stack').run!;
    const work = mkdtempSync(path.join(tmpdir(), 'docuchat-stack-'));
    try {
      const stackFor = async (requested: string) => {
        writeFileSync(path.join(work, 'out'), '');
        const result = await runStep(resolve, {
          cwd: work,
          env: { REQUESTED: requested, GITHUB_OUTPUT: path.join(work, 'out') },
        });
        return result.status === 0 ? readFileSync(path.join(work, 'out'), 'utf8').trim() : result.output;
      };
      expect(await stackFor('production')).toBe('stack=prod');
      expect(await stackFor('prod')).toBe('stack=prod');
      expect(await stackFor('staging')).toBe('stack=dev');
      expect(await stackFor('dev')).toBe('stack=dev');
      expect(await stackFor('qa')).toContain("unknown environment 'qa'");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    // The stack, not the alias, names the GitHub environment, the concurrency group and the Pulumi stack.
    const job = deploy.jobs.deploy as Job & { environment?: string; concurrency?: { group: string } };
    expect(job.environment).toBe(expression('needs.stack.outputs.stack'));
    expect(job.concurrency?.group).toBe(`deploy-${expression('needs.stack.outputs.stack')}`);
  });

  it('reads the namespace from the stack configuration (no K8S_NAMESPACE to keep in step)', () => {
    const all = readFileSync(path.join(workflowDir, 'deploy.yml'), 'utf8');
    expect(all).not.toContain('K8S_NAMESPACE');
    expect(all).toContain('npx tsx infra-ts/release.ts namespace "$STACK"');
    for (const stack of ['dev', 'prod'])
      expect(
        execFileSync('npx', ['tsx', 'infra-ts/release.ts', 'namespace', stack], {
          cwd: root,
          encoding: 'utf8',
        }).trim(),
      ).toBe(`docuchat-${stack}`);
  });

  it('sets the release through the key the stack configuration really reads', () => {
    const up = step('deploy.yml', 'deploy', 'up').run!;
    expect(up).toMatch(/pulumi config set --stack "\$STACK" docuchat:release "\$IMAGE_TAG"/);
    const prod = parse(readFileSync(path.join(root, 'Pulumi.prod.yaml'), 'utf8')) as {
      config: Record<string, unknown>;
    };
    const values = Object.fromEntries(
      Object.entries(prod.config).map(([k, v]) => [k.replace(/^docuchat:/, ''), v]),
    );
    const config = parseStackConfig('prod', { ...values, release: 'v9.9.9' });
    expect(appImage(config, 'backend')).toBe('ghcr.io/docuchat/docuchat-backend:v9.9.9');
    expect(appImage(config, 'frontend')).toBe('ghcr.io/docuchat/docuchat-frontend:v9.9.9');
  });

  describe('tags built are tags deployed', () => {
    let repo: string;
    let work: string;
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: repo,
        stdio: 'pipe',
      });

    beforeAll(() => {
      repo = mkdtempSync(path.join(tmpdir(), 'docuchat-release-'));
      work = mkdtempSync(path.join(tmpdir(), 'docuchat-release-out-'));
      git('init', '-q');
      git('commit', '-q', '--allow-empty', '-m', 'first');
      for (const t of ['v0.1.9', 'v0.1.10', 'v0.2.0-rc.1', 'vnext']) git('tag', t);
    });
    afterAll(() => {
      rmSync(repo, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    });

    async function output(file: string, job: string, id: string, env: Record<string, string>, cwd = repo) {
      const out = path.join(work, `${id}.out`);
      writeFileSync(out, '');
      const result = await runStep(step(file, job, id).run!, { cwd, env: { GITHUB_OUTPUT: out, ...env } });
      expect(result.status, result.output).toBe(0);
      return Object.fromEntries(
        readFileSync(out, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('=') as [string, string]),
      );
    }

    it('deploys, from a checkout without docuchat:release, the newest release CI built (not a pre-release)', async () => {
      const { version: next } = await output('ci.yml', 'version', 'next', {});
      expect(next).toBe('v0.1.11');
      // CI releases v0.1.11 only after pushing its images; a checkout then deploys exactly that.
      git('commit', '-q', '--allow-empty', '-m', 'second');
      git('tag', next!);
      expect(latestRelease(repo)).toBe('v0.1.11');
    });

    it('deploys a pushed release tag with the images CI pushed under that tag, from the configured registry', async () => {
      const ci = readWorkflow('ci.yml');
      const meta = ci.jobs.images!.steps!.find((s) => s.id === 'meta')!;
      expect(String(meta.with?.tags)).toContain(
        `type=raw,value=${expression('needs.version.outputs.version')}`,
      );
      expect(ci.jobs.release!.steps!.some((s) => /git tag -a "\$VERSION"/.test(s.run ?? ''))).toBe(true);
      const { registry } = await output(
        'ci.yml',
        'version',
        'registry',
        { GITHUB_REPOSITORY_OWNER: 'DocuChat' },
        root,
      );
      const { repository } = await output('ci.yml', 'images', 'name', {
        REGISTRY: registry!,
        IMAGE: 'docuchat-backend',
      });
      const { tag } = await output('deploy.yml', 'deploy', 'image', {
        GITHUB_REF_TYPE: 'tag',
        GITHUB_REF_NAME: 'v0.1.11',
        INPUT_TAG: '',
      });
      expect(appImage({ ...readStackConfig('prod', root), release: tag }, 'backend')).toBe(
        `${repository}:v0.1.11`,
      );
    });

    it('refuses to push where the stacks do not pull from', async () => {
      const out = path.join(work, 'registry.out');
      const result = await runStep(step('ci.yml', 'version', 'registry').run!, {
        cwd: root,
        env: { GITHUB_OUTPUT: out, GITHUB_REPOSITORY_OWNER: 'Acme' },
      });
      expect(result.status).not.toBe(0);
      expect(result.output).toContain(
        'can push only to ghcr.io/acme: set docuchat:images.registry to ghcr.io/acme',
      );
    });

    it('deploys the newest release from a branch unless told which image to run', async () => {
      // The step runs the repository's own script from the checkout: give the scratch checkout one.
      symlinkSync(path.join(root, 'infra-ts'), path.join(repo, 'infra-ts'));
      symlinkSync(path.join(root, 'node_modules'), path.join(repo, 'node_modules'));
      const { tag } = await output('deploy.yml', 'deploy', 'image', {
        GITHUB_REF_TYPE: 'branch',
        GITHUB_REF_NAME: 'main',
        INPUT_TAG: '',
      });
      expect(tag).toBe('v0.1.11');
    });
  });

  describe('smoke tests against a backend that fails to register users', () => {
    let server: Server;
    let base: string;
    let work: string;

    beforeAll(async () => {
      work = mkdtempSync(path.join(tmpdir(), 'docuchat-smoke-'));
      server = createServer((req, res) => {
        res.setHeader('Content-Type', 'application/json');
        if (req.url === '/api/v1/health') {
          res.end(JSON.stringify({ status: 'ok', checks: { database: 'ok', cache: 'ok', llm: 'ok' } }));
        } else {
          res.statusCode = 500;
          res.end(JSON.stringify({ error: 'internal', message: 'database is read-only' }));
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(work, { recursive: true, force: true });
    });

    it('fail the deployment and say which check failed in the summary', async () => {
      const summary = path.join(work, 'summary.md');
      const result = await runStep(step('deploy.yml', 'deploy', 'smoke').run!, {
        cwd: work,
        env: { SMOKE_BASE_URL: base, GITHUB_STEP_SUMMARY: summary },
      });
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/register answered 500/);
      const table = readFileSync(summary, 'utf8');
      expect(table).toMatch(/\| health \| ok/);
      expect(table).toMatch(/\| register \| failed: HTTP 500 \|/);
    });
  });
});

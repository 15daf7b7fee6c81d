/**
 * The container images, checked without a Docker engine: the properties that make them safe to run (multi-stage,
 * pinned bases, numeric non-root user, production dependencies only, no secrets baked in) and the facts the
 * Kubernetes manifests in dist/k8s/prod/ rely on (user id, port, command, data directory).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_PORT } from '../app/config/http.js';

const root = path.resolve(import.meta.dirname, '..');

interface Instruction {
  keyword: string;
  args: string;
  /** Body of a here-document (`COPY <<EOF /path`), when the instruction has one. */
  heredoc?: string;
  line: number;
}

interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** Reads a Dockerfile into instructions: comments dropped, continuation lines joined, here-documents kept. */
function parseDockerfile(text: string): Instruction[] {
  const lines = text.split('\n');
  const out: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      if (/^\s*#/.test(lines[i]!)) continue;
      line = `${line.slice(0, -1)} ${lines[i]!.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`line ${start + 1}: not an instruction: ${line}`);
    const instruction: Instruction = { keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 };
    const heredoc = /<<-?(['"]?)(\w+)\1/.exec(instruction.args);
    if (heredoc) {
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) body.push(lines[i]!);
      instruction.heredoc = body.join('\n');
    }
    out.push(instruction);
  }
  return out;
}

/** Splits instructions into stages, resolving `${ARG}` in FROM lines from the global ARG defaults. */
function stagesOf(instructions: Instruction[]): { globalArgs: Record<string, string>; stages: Stage[] } {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [image, as, name] = ins.args.split(/\s+/);
      const base = image!.replace(/\$\{?(\w+)\}?/g, (_, arg: string) => globalArgs[arg] ?? `<unset ${arg}>`);
      stages.push({
        name: as?.toUpperCase() === 'AS' ? name! : String(stages.length),
        base,
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') {
        const [key, value] = ins.args.split('=');
        globalArgs[key!] = value ?? '';
      }
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** Docker's .dockerignore matching: a pattern excludes a path when it matches the path or one of its parents. */
function dockerignored(patterns: string[], file: string): boolean {
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/^\/+|\/+$/g, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\/?/g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replaceAll('\u0000', '(.*/)?')}$`,
    );
  const parts = file.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const re = toRegExp(negated ? raw.slice(1) : raw);
    if (candidates.some((c) => re.test(c))) ignored = !negated;
  }
  return ignored;
}

function npmScriptsIn(text: string): string[] {
  const names = [...text.matchAll(/\bnpm\s+run(?:-script)?\s+([\w:.-]+)/g)].map((m) => m[1]!);
  for (const m of text.matchAll(/\bnpm\s+(test|start)\b/g)) names.push(m[1]!);
  return names;
}

const dockerignore = readFileSync(path.join(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

const packageScripts = Object.keys(
  (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts,
);

type K8sObject = {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
  data?: Record<string, string>;
};
function prodObject(file: string): K8sObject {
  const full = path.join(root, 'dist', 'k8s', 'prod', file);
  if (!existsSync(full)) throw new Error(`dist/k8s/prod/${file} is missing: run npm run synth`);
  return parseAllDocuments(readFileSync(full, 'utf8'))[0]!.toJSON() as K8sObject;
}
type PodSpec = {
  securityContext?: { runAsUser?: number };
  containers: Array<{ command?: string[]; image: string; ports?: Array<{ containerPort: number }> }>;
};
const podOf = (o: K8sObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;

const images = [
  { file: 'Dockerfile', deployment: 'deployment-docuchat-backend.yaml' },
  { file: 'Dockerfile.frontend', deployment: 'deployment-docuchat-frontend.yaml' },
];

function load(file: string) {
  const instructions = parseDockerfile(readFileSync(path.join(root, file), 'utf8'));
  const { globalArgs, stages } = stagesOf(instructions);
  return { instructions, globalArgs, stages, final: stages.at(-1)! };
}

describe.each(images)('$file', ({ file, deployment }) => {
  const { instructions, globalArgs, stages, final } = load(file);
  const finalArgs = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword);

  it('builds in stages and ships only the last one, named runtime', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(final.name).toBe('runtime');
  });

  it('starts from pinned base images: an explicit version tag, never latest', () => {
    const names = new Set(stages.map((s) => s.name));
    for (const { base } of stages.filter((s) => !names.has(s.base))) {
      expect(base, base).toMatch(/^[\w./-]+:[\w.-]*\d[\w.-]*(@sha256:[0-9a-f]{64})?$/);
      expect(base).not.toMatch(/:latest\b/);
    }
  });

  it('runs as a numeric non-root user, the same one the pod runs as', () => {
    const user = finalArgs('USER').at(-1)?.args;
    expect(user, 'USER <uid>:<gid> in the runtime stage').toMatch(/^\d+(:\d+)?$/);
    const uid = Number(user!.split(':')[0]);
    expect(uid).toBeGreaterThan(0);
    expect(podOf(prodObject(deployment)).securityContext?.runAsUser).toBe(uid);
  });

  it('exposes the port the Deployment declares', () => {
    const exposed = finalArgs('EXPOSE').map((i) => Number(i.args));
    const declared = podOf(prodObject(deployment)).containers[0]!.ports!.map((p) => p.containerPort);
    expect(exposed).toEqual(declared);
  });

  it('has no HEALTHCHECK: Kubernetes probes decide', () => {
    expect(instructions.filter((i) => i.keyword === 'HEALTHCHECK')).toEqual([]);
  });

  it('bakes no secret into the image (ENV or ARG)', () => {
    const keys = instructions
      .filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')
      .flatMap((i) =>
        [...i.args.matchAll(/(?:^|\s)(\w+)=/g)].map((m) => m[1]!).concat(i.args.split(/[\s=]/)[0]!),
      );
    expect(keys.filter((k) => /SECRET|TOKEN|PASSWORD|API_KEY|PRIVATE|CREDENTIAL/i.test(k))).toEqual([]);
    expect(Object.keys(globalArgs).length).toBeGreaterThan(0);
  });

  it('copies from the build context only files that exist and .dockerignore lets through', () => {
    const sources = stages
      .flatMap((s) => s.instructions)
      .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !/--from=/.test(i.args) && !i.heredoc)
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      )
      .filter((src) => src !== '.');
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(existsSync(path.join(root, src)), `${src} exists`).toBe(true);
      expect(dockerignored(dockerignore, src), `${src} is not excluded by .dockerignore`).toBe(false);
    }
  });

  it('copies between stages only from stages defined before', () => {
    stages.forEach((stage, index) => {
      for (const ins of stage.instructions) {
        const from = /--from=(\S+)/.exec(ins.args)?.[1];
        if (from)
          expect(
            stages.slice(0, index).map((s) => s.name),
            `${stage.name}: ${ins.args}`,
          ).toContain(from);
      }
    });
  });

  it('runs only npm scripts that package.json defines', () => {
    const run = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(run.flatMap(npmScriptsIn).filter((n) => !packageScripts.includes(n))).toEqual([]);
  });
});

describe('backend image', () => {
  const { instructions, final } = load('Dockerfile');
  const runtimeRuns = final.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const env = Object.fromEntries(
    final.instructions
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
  );

  it('installs production dependencies only, and never with npm install', () => {
    expect(runtimeRuns.join('\n')).toMatch(/npm ci --omit=dev/);
    expect(instructions.filter((i) => /\bnpm (install|i)\b/.test(i.args))).toEqual([]);
    const copiedModules = final.instructions.filter(
      (i) => i.keyword === 'COPY' && /node_modules/.test(i.args),
    );
    expect(copiedModules, 'dev dependencies of the build stage must not reach the runtime').toEqual([]);
  });

  it('starts the API by default, the command the Deployment runs', () => {
    const cmd = JSON.parse(final.instructions.filter((i) => i.keyword === 'CMD').at(-1)!.args) as string[];
    expect(cmd).toEqual(['node', 'build/app/server/main.js']);
    expect(podOf(prodObject('deployment-docuchat-backend.yaml')).containers[0]!.command).toEqual(cmd);
  });

  it('is the image the billing CronJob runs, with the billing command', () => {
    const cron = prodObject('cronjob-docuchat-billing.yaml').spec as {
      jobTemplate: { spec: { template: { spec: PodSpec } } };
    };
    const container = cron.jobTemplate.spec.template.spec.containers[0]!;
    const backendImage = podOf(prodObject('deployment-docuchat-backend.yaml')).containers[0]!.image;
    expect(container.image).toBe(backendImage);
    expect(container.command).toEqual(['node', 'build/billing/main.js']);
  });

  it('listens on the application port and writes its data where the Deployment mounts a volume', () => {
    expect(Number(env.PORT)).toBe(DEFAULT_PORT);
    const config = prodObject('configmap-docuchat-backend-config.yaml').data!;
    expect(env.DATA_DIR).toBe(config.DATA_DIR);
    const uid = final.instructions
      .filter((i) => i.keyword === 'USER')
      .at(-1)!
      .args.split(':')[0];
    expect(runtimeRuns.join('\n'), 'the data directory belongs to the runtime user').toMatch(
      new RegExp(`chown ${uid}(:\\d+)? ${env.DATA_DIR}`),
    );
  });

  it('ships the SQL migrations next to the compiled migration runner', () => {
    const copies = final.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=build /src/app/db/migrations ./build/app/db/migrations');
  });
});

describe('frontend image', () => {
  const { final } = load('Dockerfile.frontend');
  const config =
    final.instructions.find((i) => i.heredoc && /\/etc\/nginx\/conf\.d\//.test(i.args))?.heredoc ?? '';

  it('is served by unprivileged nginx on the exposed port', () => {
    expect(final.base).toMatch(/^nginxinc\/nginx-unprivileged:/);
    const port = final.instructions.find((i) => i.keyword === 'EXPOSE')!.args;
    expect(config).toMatch(new RegExp(`listen ${port};`));
  });

  it('serves the built web app from the document root, with client-side routes falling back to index.html', () => {
    const root = /^\s*root (\S+);/m.exec(config)?.[1];
    const bundle = final.instructions.find((i) => i.keyword === 'COPY' && /--from=build/.test(i.args))!.args;
    expect(bundle).toBe(`--from=build /src/build/web ${root}`);
    expect(config).toMatch(/location \/ \{[^}]*try_files \$uri \$uri\/ \/index\.html;/);
  });

  it('proxies nothing itself: /api reaches the backend through the Ingress', () => {
    expect(config).not.toMatch(/proxy_pass/);
  });
});

describe('.dockerignore', () => {
  it.each([
    'node_modules',
    '.git',
    '.docuchat',
    'build',
    '.env',
    '.env.production',
    'scratch/notes.ts',
    'x.log',
  ])('keeps %s out of the build context', (p) => {
    expect(dockerignored(dockerignore, p)).toBe(true);
  });

  it.each([
    'package.json',
    'package-lock.json',
    '.npmrc',
    'tsconfig.json',
    'app/server/main.ts',
    'billing/main.ts',
  ])('lets %s in, the build needs it', (p) => {
    expect(dockerignored(dockerignore, p)).toBe(false);
  });
});

/**
 * `npx tsx bench/profile-summary.ts [bench/.cache/profiles/<file>.cpuprofile ...]`: where a worker spent its CPU,
 * from the V8 profiles `npm run bench -- --profile` writes. Self time summed per package (or per file of ours)
 * and per function, largest first. Without arguments it reads every profile in bench/.cache/profiles/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROFILE_DIR, REPO_ROOT } from './lib/child.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function place(url: string): string {
  if (!url) return '(native / idle)';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = file.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (file.startsWith('node:')) return file;
  return path.relative(REPO_ROOT, file);
}

function summarize(file: string, top = 15): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    total += ms;
    const where = place(url);
    byPlace.set(where, (byPlace.get(where) ?? 0) + ms);
    const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  });
  const rows = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, ms]) =>
          `  ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${k}`,
      )
      .join('\n');
  return `${path.basename(file)} — ${total.toFixed(0)} ms sampled\n by place:\n${rows(byPlace)}\n by function:\n${rows(byFunction)}\n`;
}

/** Worker names by pid, from workers.tsv; main-thread profiles only (thread 0), not tsx's loader thread. */
function profilesOfWorkers(): { file: string; worker: string }[] {
  const names = new Map(
    readFileSync(path.join(PROFILE_DIR, 'workers.tsv'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('\t') as [string, string]),
  );
  return readdirSync(PROFILE_DIR)
    .map((f) => ({ f, m: /^CPU\.\d+\.\d+\.(\d+)\.0\.\d+\.cpuprofile$/.exec(f) }))
    .filter((x) => x.m)
    .map((x) => ({ file: path.join(PROFILE_DIR, x.f), worker: names.get(x.m![1]!) ?? 'unknown' }));
}

const files = process.argv.slice(2);
const targets = files.length ? files.map((file) => ({ file, worker: '' })) : profilesOfWorkers();
for (const { file, worker } of targets) console.log(`${worker ? `[${worker}] ` : ''}${summarize(file)}`);

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function exitOf(command: string, args: string[]) {
  try {
    await run(command, args, { maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, output: '' };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: `${e.stdout}\n${e.stderr}`.slice(0, 4000) };
  }
}

// The suite is what .ci/run runs, so it also holds the tree to the type checker and the linter.
describe('static checks', () => {
  it('type-checks (npm run typecheck)', async () => {
    const result = await exitOf('npx', ['tsc', '--noEmit', '-p', '.']);
    expect(result.output.trim(), 'run `npm run typecheck`').toBe('');
    expect(result.code).toBe(0);
  }, 180_000);

  it('lints without errors (npm run lint)', async () => {
    const result = await exitOf('npx', ['biome', 'check', '.', '--diagnostic-level=error']);
    expect(result.code, `run \`npm run lint\`\n${result.output}`).toBe(0);
  }, 60_000);
});

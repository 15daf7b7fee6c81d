import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The container runs the compiled JavaScript (`node build/app/server/main.js`), where the ingestion threads load
 * `ingestion-tasks.js` instead of the tsx entry the sources use: compile as `npm run build` does and parse and
 * index a document through the compiled pool, in a plain Node process without tsx.
 */

const root = path.resolve(import.meta.dirname, '..');
// Under build/ (git-ignored), so the compiled files find the repository's node_modules as build/ does.
const outDir = path.join(root, 'build', `ingestion-test-${process.pid}`);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('compiled ingestion threads', () => {
  it('parse and index a document from build/ without tsx', () => {
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
    const pool = path.join(outDir, 'app/server/documents/ingestion-pool.js');
    const script = `
      const { IngestionPool } = await import(${JSON.stringify(pool)});
      const pool = new IngestionPool({ threads: 1 });
      const parsed = await pool.parse('markdown', new TextEncoder().encode('# Title\\n\\nThe garage opens at seven.'));
      const indexed = await pool.index(parsed.json, { chunkTokens: 64, overlapTokens: 8 }, { localEmbedding: { dimensions: 16, vectorTypeOid: 1 } });
      await pool.close();
      console.log(JSON.stringify({ parsed: parsed.ok, pages: parsed.pages, indexed: indexed.ok, chunks: indexed.chunks }));
    `;
    // A plain Node process: no tsx loader anywhere.
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: outDir,
      env: { ...process.env, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({
      parsed: true,
      pages: 1,
      indexed: true,
      chunks: 1,
    });
  }, 300_000);
});

/**
 * The backend image installs production dependencies only (`npm ci --omit=dev`). This follows every static
 * import from the two commands the image runs (the API and the billing job) and fails when one of them needs a
 * package that is only a devDependency: such an image would build, then crash at its first start in the cluster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The commands of the backend image (Dockerfile CMD and the billing CronJob), as TypeScript sources. */
const ENTRY_POINTS = ['app/server/main.ts', 'billing/main.ts'];

interface ImportGraph {
  /** Packages imported statically (needed as soon as the module loads), with one importer each. */
  packages: Map<string, string>;
  files: number;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Static imports of a source file, without `import type` (erased by the compiler). */
function staticImports(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers: string[] = [];
  for (const m of withoutComments.matchAll(
    /^\s*(import|export)\s+(type\s+)?([^'";]*?from\s+)?['"]([^'"]+)['"]/gm,
  )) {
    if (!m[2]) specifiers.push(m[4]!);
  }
  return specifiers;
}

function followImports(entries: string[]): ImportGraph {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = entries.map((e) => path.join(root, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of staticImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) {
        // NodeNext: sources import `./x.js`, the file on disk is `./x.ts` (or `.tsx`).
        const base = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '');
        const target = ['.ts', '.tsx', '.js'].map((ext) => base + ext).find(existsSync);
        if (!target)
          throw new Error(`${path.relative(root, file)} imports ${specifier}, which does not exist`);
        queue.push(target);
      } else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        const name = packageName(specifier);
        if (!packages.has(name)) packages.set(name, path.relative(root, file));
      }
    }
  }
  return { packages, files: seen.size };
}

describe.each(ENTRY_POINTS)('%s in the production image', (entry) => {
  it('needs only packages that npm ci --omit=dev installs', () => {
    expect(existsSync(path.join(root, entry)), `${entry} exists`).toBe(true);
    const graph = followImports([entry]);
    expect(graph.files).toBeGreaterThan(1);
    expect(graph.packages.size).toBeGreaterThan(0);
    const devOnly = [...graph.packages]
      .filter(([name]) => !(name in pkg.dependencies))
      .map(([name, importer]) =>
        name in pkg.devDependencies
          ? `${name} (imported by ${importer}) is a devDependency: move it to dependencies`
          : `${name} (imported by ${importer}) is not in package.json`,
      );
    expect(devOnly).toEqual([]);
  });
});

describe('the import walk itself', () => {
  it('sees through re-exports and ignores type-only imports', () => {
    const source = [
      "import type { FastifyInstance } from 'fastify';",
      "import { x } from 'vite';",
      "export { y } from '@scope/pkg/sub';",
      "import 'side-effect';",
      '// import { z } from "commented-out";',
    ].join('\n');
    expect(staticImports(source).map(packageName)).toEqual(['vite', '@scope/pkg', 'side-effect']);
  });
});

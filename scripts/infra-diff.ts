/**
 * `npm run infra:diff -- <base-ref> [<head-ref>]`: what a change does to the cluster, as a reviewer reads it — the
 * semantic diff of `dist/` between two git refs (the head defaults to the working tree), grouped by stack, kind and
 * name, with warning lines for replacements, deletions, Secrets and NetworkPolicies. Exits 2 on bad usage.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffDist, distAtRef, distInDirectory, renderDistDiff } from '../infra-ts/review/dist-diff.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [base, head] = process.argv.slice(2).filter((a) => a !== '--');
if (!base) {
  console.error(
    'usage: npm run infra:diff -- <base-ref> [<head-ref>]   (e.g. npm run infra:diff -- origin/main)',
  );
  process.exit(2);
}
try {
  const before = distAtRef(root, base);
  const after = head ? distAtRef(root, head) : distInDirectory(path.join(root, 'dist'));
  process.stdout.write(renderDistDiff(diffDist(before, after), base, head ?? 'the working tree'));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

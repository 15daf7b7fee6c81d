import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './child.js';

/**
 * A short hash of the database migrations and a generator version: a cached database built by an older schema or
 * an older generator is never reused (a new directory is built next to it).
 */
export function schemaCacheKey(generatorVersion: string): string {
  const dir = path.join(REPO_ROOT, 'app', 'db', 'migrations');
  const hash = createHash('sha256').update(generatorVersion);
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(path.join(dir, file)));
  return hash.digest('hex').slice(0, 10);
}

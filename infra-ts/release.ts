/**
 * Which build of DocuChat a stack runs. CI pushes `<registry>/docuchat-{backend,frontend}:vX.Y.Z` and only then
 * tags the commit `vX.Y.Z`, so a release tag always names images that exist. The deploy workflow passes the tag it
 * deploys as `docuchat:release`; a `pulumi up` or `pulumi preview` from a checkout without it takes the newest
 * release tag the checkout contains, never a tag nobody built.
 *
 * `npx tsx infra-ts/release.ts latest|registry|namespace <stack>` prints those facts for the workflows.
 */
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStackConfig, STACKS } from './stack-files.js';

/** A release tag, as CI creates them (pre-releases such as v1.2.0-rc.1 and other tags are not releases). */
export const RELEASE_TAG = /^v(\d+)\.(\d+)\.(\d+)$/;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The highest release among `tags`, comparing numbers (v0.1.10 is newer than v0.1.9); undefined if none. */
export function highestRelease(tags: readonly string[]): string | undefined {
  const releases = tags
    .map((t) => t.trim())
    .filter((t) => RELEASE_TAG.test(t))
    .map((t) => ({ t, n: RELEASE_TAG.exec(t)!.slice(1).map(Number) }));
  releases.sort((a, b) => a.n[0]! - b.n[0]! || a.n[1]! - b.n[1]! || a.n[2]! - b.n[2]!);
  return releases.at(-1)?.t;
}

export class NoReleaseError extends Error {
  override name = 'NoReleaseError';
}

/** The newest release tag reachable from HEAD of the checkout at `cwd` (what `pulumi up` deploys by default). */
export function latestRelease(cwd: string = REPO_ROOT): string {
  let tags: string[];
  try {
    tags = execFileSync('git', ['tag', '--merged', 'HEAD', '--list', 'v*'], { cwd, encoding: 'utf8' }).split(
      '\n',
    );
  } catch (error) {
    throw new NoReleaseError(
      `Cannot list the release tags of ${cwd}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const latest = highestRelease(tags);
  if (!latest) {
    throw new NoReleaseError(
      'No release tag (vX.Y.Z) in this checkout, so no DocuChat image is known to exist: CI pushes the images and tags the first release v0.0.1 on main; fetch the tags (git fetch --tags) or set one: pulumi config set docuchat:release vX.Y.Z',
    );
  }
  return latest;
}

/** The registry CI pushes to for a GitHub owner (GHCR wants lower case). */
export function registryForOwner(owner: string): string {
  return `ghcr.io/${owner.toLowerCase()}`;
}

/** The registry every stack names; they must agree, because CI pushes each image once. */
export function configuredRegistry(rootDir: string = REPO_ROOT): string {
  const registries = new Set(STACKS.map((s) => readStackConfig(s, rootDir).images.registry));
  if (registries.size !== 1) {
    throw new Error(`The stacks name different registries (${[...registries].join(', ')}); CI pushes to one`);
  }
  return [...registries][0]!;
}

function main(argv: string[]): void {
  const [command, arg] = argv;
  if (command === 'latest') {
    console.log(latestRelease(process.cwd()));
  } else if (command === 'registry') {
    const registry = configuredRegistry();
    // CI pushes with the repository's token, which may write only under its own owner.
    if (arg && registry.startsWith('ghcr.io/') && registry !== registryForOwner(arg)) {
      throw new Error(
        `docuchat:images.registry is ${registry}, but this repository's workflows can push only to ${registryForOwner(arg)}: set docuchat:images.registry to ${registryForOwner(arg)} in Pulumi.<stack>.yaml (every stack) and run npm run synth`,
      );
    }
    console.log(registry);
  } else if (command === 'namespace' && arg) {
    console.log(readStackConfig(arg, REPO_ROOT).namespace);
  } else {
    throw new Error(
      'usage: npx tsx infra-ts/release.ts latest | registry [github-owner] | namespace <stack>',
    );
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

/**
 * `npx tsx scripts/vendor-kubernetes-schema.ts <openapi-v2.json>`: writes the `definitions` of a Kubernetes
 * API server's OpenAPI v2 document to `infra-ts/validation/schemas/kubernetes-<version>.json`, without the
 * descriptions (2.5 MB → 0.2 MB), for the strict schema check of `dist/` (`infra-ts/validation/openapi.ts`).
 * The input is what `kube-apiserver` serves at `/openapi/v2`, with enums (see the README beside the output).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Drops `description` keywords; a property that happens to be named `description` stays. */
function withoutDescriptions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDescriptions);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description') continue;
    out[key] =
      key === 'properties' || key === 'definitions'
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, withoutDescriptions(v)]))
        : withoutDescriptions(value);
  }
  return out;
}

function main(): void {
  const input = process.argv[2];
  if (!input) {
    console.error('usage: npx tsx scripts/vendor-kubernetes-schema.ts <openapi-v2.json>');
    process.exit(2);
  }
  const document = JSON.parse(readFileSync(input, 'utf8')) as {
    info?: { title?: string; version?: string };
    definitions?: Record<string, unknown>;
  };
  const version = document.info?.version?.replace(/^v/, '');
  if (!document.definitions || !version) {
    console.error(`${input}: not a Kubernetes OpenAPI v2 document (no definitions or info.version)`);
    process.exit(1);
  }
  const sorted = Object.fromEntries(
    Object.keys(document.definitions)
      .sort()
      .map((k) => [k, document.definitions![k]]),
  );
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const out = path.join(root, 'infra-ts', 'validation', 'schemas', `kubernetes-${version}.json`);
  writeFileSync(
    out,
    `${JSON.stringify({ info: { title: document.info?.title, version: `v${version}` }, definitions: withoutDescriptions(sorted) })}\n`,
  );
  console.log(`wrote ${path.relative(root, out)} (${Object.keys(sorted).length} definitions)`);
}

main();

/**
 * The Pulumi program under `pulumi.runtime.setMocks` (no CLI, no cluster): the mocks record every resource the
 * program hands to the Kubernetes provider, with its inputs and options.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import * as rpc from '@pulumi/pulumi/runtime/rpc.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, stackObjects } from '../synth.js';

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const registered: Registered[] = [];
/** The tag the deploy workflow passes (`pulumi config set docuchat:release ...`). */
const RELEASE = 'v0.4.2';
const SECRETS = {
  'docuchat:databasePassword': 'pg-pass/with:odd@chars',
  'docuchat:jwtSecret': 'j'.repeat(48),
  'docuchat:grafanaAdminPassword': 'grafana-admin-pass',
  'docuchat:openaiApiKey': 'sk-test-openai-key',
  'docuchat:backupS3AccessKeyId': 'AKIATESTBACKUPKEY',
  'docuchat:backupS3SecretAccessKey': 'backup-secret-access-key',
};

/** The prod stack's config as `pulumi.runtime.allConfig()` sees it: objects as JSON strings. */
function prodConfig(): Record<string, string> {
  const file = parse(readFileSync(path.join(REPO_ROOT, 'Pulumi.prod.yaml'), 'utf8')) as {
    config: Record<string, unknown>;
  };
  return Object.fromEntries(
    Object.entries(file.config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

function whenKnown<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

let program: typeof import('../pulumi/program.js');
let stack: ReturnType<typeof program.deployDocuChat>;

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    'docuchat',
    'prod',
    false,
  );
  pulumi.runtime.setAllConfig(
    { ...prodConfig(), 'docuchat:release': RELEASE, ...SECRETS },
    Object.keys(SECRETS),
  );
  program = await import('../pulumi/program.js');
  stack = program.deployDocuChat();
  await Promise.all(stack.resources.map((r) => whenKnown(r.urn)));
  await whenKnown(stack.secret.urn);
});

describe('Pulumi program', () => {
  it('creates the Secret docuchat-secrets from the stack’s config secrets', () => {
    const secret = registered.find((r) => r.type === 'kubernetes:core/v1:Secret');
    expect(secret?.name).toBe('docuchat-secrets');
    const inputs = secret!.inputs as {
      metadata: { name: string; namespace: string };
      stringData: Record<string, string>;
    };
    expect(inputs.metadata).toMatchObject({ name: 'docuchat-secrets', namespace: 'docuchat-prod' });
    // The mocks see the wire form: the whole map is marked secret, so Pulumi encrypts it in the state.
    const wire = inputs.stringData as unknown as Record<string, unknown>;
    expect(wire[rpc.specialSigKey]).toBe(rpc.specialSecretSig);
    expect(wire.value).toEqual({
      POSTGRES_PASSWORD: SECRETS['docuchat:databasePassword'],
      JWT_SECRET: SECRETS['docuchat:jwtSecret'],
      GRAFANA_ADMIN_PASSWORD: SECRETS['docuchat:grafanaAdminPassword'],
      OPENAI_API_KEY: SECRETS['docuchat:openaiApiKey'],
      BACKUP_S3_ACCESS_KEY_ID: SECRETS['docuchat:backupS3AccessKeyId'],
      BACKUP_S3_SECRET_ACCESS_KEY: SECRETS['docuchat:backupS3SecretAccessKey'],
      // Composed from the password, URL-encoded, pointing at the in-cluster Service.
      DATABASE_URL: 'postgresql://docuchat:pg-pass%2Fwith%3Aodd%40chars@docuchat-postgresql:5432/docuchat',
    });
  });

  it('hands every synthesized object to the Kubernetes provider, unchanged but for the release tag', () => {
    const expected = stackObjects('prod', REPO_ROOT, RELEASE);
    expect(stack.objects).toEqual(expected);
    const applied = registered.filter(
      (r) =>
        r.type !== 'kubernetes:core/v1:Secret' && r.type !== 'kubernetes:core/v1:PersistentVolumeClaimPatch',
    );
    expect(applied).toHaveLength(expected.length);
    for (const object of expected) {
      const match = applied.find((r) => r.name === object.metadata.name && r.inputs.kind === object.kind);
      expect(match, `${object.kind}/${object.metadata.name}`).toBeDefined();
      expect(match!.inputs).toEqual(object);
    }
    expect(applied.find((r) => r.inputs.kind === 'Deployment' && r.name === 'docuchat-backend')?.type).toBe(
      'kubernetes:apps/v1:Deployment',
    );
  });

  it('runs the images of the release it was given, from the configured registry', () => {
    const images = registered
      .flatMap((r) => JSON.stringify(r.inputs).match(/"image":"[^"]+"/g) ?? [])
      .filter((i) => i.includes('docuchat-'));
    expect(new Set(images)).toEqual(
      new Set([
        `"image":"ghcr.io/docuchat/docuchat-backend:${RELEASE}"`,
        `"image":"ghcr.io/docuchat/docuchat-frontend:${RELEASE}"`,
      ]),
    );
    // What dist/ shows instead, and nothing else differs.
    const dist = JSON.stringify(stackObjects('prod')).replaceAll(':RELEASE"', `:${RELEASE}"`);
    expect(dist).toBe(JSON.stringify(stackObjects('prod', REPO_ROOT, RELEASE)));
  });

  it('keeps every secret value out of the applied manifests', () => {
    const manifests = JSON.stringify(registered.filter((r) => r.type !== 'kubernetes:core/v1:Secret'));
    for (const value of Object.values(SECRETS)) expect(manifests).not.toContain(value);
  });

  it('protects the PostgreSQL StatefulSet and the backups claim from deletion', () => {
    const protectedNames = stack.resources
      .filter((r) => (r as unknown as { __protect?: boolean }).__protect)
      .map((r) => (r as unknown as { __name?: string }).__name);
    expect(protectedNames.sort()).toEqual(['docuchat-backups', 'docuchat-postgresql']);
  });

  it('grows the database claim in place and never replaces the StatefulSet for a new size', async () => {
    const patch = registered.find((r) => r.type === 'kubernetes:core/v1:PersistentVolumeClaimPatch');
    expect(patch?.name).toBe('data-docuchat-postgresql-0');
    expect(patch?.inputs).toMatchObject({
      metadata: { name: 'data-docuchat-postgresql-0', namespace: 'docuchat-prod' },
      spec: { resources: { requests: { storage: stack.config.postgresql.storage } } },
    });
    const { ignoredChanges } = await import('../pulumi/protection.js');
    const objects = stackObjects('prod', REPO_ROOT, RELEASE);
    expect(
      ignoredChanges(
        objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'docuchat-postgresql')!,
      ),
    ).toEqual(['spec.volumeClaimTemplates']);
    expect(objects.filter((o) => ignoredChanges(o).length > 0)).toHaveLength(1);
  });

  it('exports the public URLs', () => {
    expect(stack.appUrl).toBe('https://docuchat.example.com');
    expect(stack.grafanaUrl).toBe('https://grafana.docuchat.example.com');
  });

  it('refuses to run without a required secret, naming the command that sets it', async () => {
    const { secretData } = await import('../pulumi/secret.js');
    const rest = Object.fromEntries(Object.entries(SECRETS).filter(([key]) => key !== 'docuchat:jwtSecret'));
    pulumi.runtime.setAllConfig({ ...prodConfig(), ...rest }, Object.keys(rest));
    expect(() => secretData(stack.config)).toThrow(
      'Missing secret docuchat:jwtSecret (JWT_SECRET); run: pulumi config set --secret docuchat:jwtSecret <value>',
    );
  });
});

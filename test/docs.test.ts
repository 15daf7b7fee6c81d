import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../app/config/index.js';

const SEED_VARIABLES = [
  'OPENAI_API_KEY',
  'DATABASE_URL',
  'REDIS_URL',
  'JWT_SECRET',
  'ZIBAL_API_KEY',
  'GRAFANA_ADMIN_PASSWORD',
  'KUBECONFIG_B64',
  'GHCR_USERNAME',
  'GHCR_TOKEN',
];

describe('documentation of the configuration', () => {
  const readme = readFileSync('README.md', 'utf8');
  const example = readFileSync('.env.example', 'utf8');
  const exampleKeys = new Set(
    example
      .split('\n')
      .filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => l.split('=')[0]),
  );

  it('lists every variable the app reads and every seed variable in the README and .env.example', () => {
    for (const name of [...CONFIG_VARIABLES, ...SEED_VARIABLES]) {
      expect(readme, `README.md lacks ${name}`).toContain(`\`${name}\``);
      expect(exampleKeys.has(name), `.env.example lacks ${name}`).toBe(true);
    }
  });

  it("maps the seed's K8S_NAMESPACE to the stack setting instead of a variable nothing reads", () => {
    expect(exampleKeys.has('K8S_NAMESPACE')).toBe(false);
    expect(readme).toMatch(
      /`K8S_NAMESPACE` is not a variable here: each stack's namespace is `docuchat:namespace`/,
    );
  });

  it('puts no real secret values in .env.example', () => {
    const secrets = [
      'JWT_SECRET',
      'OPENAI_API_KEY',
      'ZIBAL_MERCHANT',
      'ZIBAL_API_KEY',
      'SMTP_URL',
      'DATABASE_URL',
      'REDIS_URL',
      'GRAFANA_ADMIN_PASSWORD',
      'KUBECONFIG_B64',
      'GHCR_TOKEN',
    ];
    for (const name of secrets) expect(example, name).toMatch(new RegExp(`^${name}=$`, 'm'));
  });

  it('opens the README with the two commands, the second being the one .ci/run runs', () => {
    const firstBlock = readme.split('```')[1] ?? '';
    expect(firstBlock).toContain('npm ci && npm start');
    expect(firstBlock).toContain('npm test');
    const ci = readFileSync('.ci/run', 'utf8');
    expect(ci.trim().split('\n').at(-1)).toBe('npm test');
  });
});

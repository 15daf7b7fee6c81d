import { describe, expect, it } from 'vitest';
import { memoryBytes, parseStackConfig, requireObjectStore, StackConfigError } from '../stack-config.js';
import { readStackConfig } from '../stack-files.js';
import { REPO_ROOT } from '../synth.js';

const minimal = {
  namespace: 'docuchat-test',
  domains: { app: 'docuchat.example.com', grafana: 'grafana.docuchat.example.com' },
};

function errorOf(values: Record<string, unknown>): string {
  try {
    parseStackConfig('prod', values);
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('stack configuration', () => {
  it('fills the seed defaults around the few keys a stack must set', () => {
    const config = parseStackConfig('prod', minimal);
    expect(config.backend.autoscaling).toEqual({
      minReplicas: 2,
      maxReplicas: 10,
      cpuUtilizationPercent: 70,
      memoryUtilizationPercent: 80,
    });
    expect(config.prometheus.retentionDays).toBe(30);
    expect(config.billing.schedule).toBe('0 3 * * *');
    expect(config.backup.schedule).toBe('0 2 * * *');
    expect(config.vpa.enabled).toBe(false);
    expect(config.images.postgresql).toEqual({ repository: 'pgvector/pgvector', tag: 'pg16' });
    expect(config.images.redis).toEqual({ repository: 'redis', tag: '7-alpine' });
  });

  it('keeps defaults for the fields a partial override leaves out', () => {
    const config = parseStackConfig('prod', {
      ...minimal,
      backend: { resources: { limits: { memory: '2Gi' } } },
    });
    expect(config.backend.resources.limits).toEqual({ cpu: '1', memory: '2Gi' });
  });

  it('reads JSON strings the way pulumi.runtime.allConfig() hands over objects', () => {
    const config = parseStackConfig('prod', {
      namespace: 'docuchat-test',
      domains: JSON.stringify(minimal.domains),
      vpa: '{"enabled":true}',
      jwtSecret: 'never-parsed-here',
    });
    expect(config.vpa.enabled).toBe(true);
  });

  it('refuses to synthesize a stack whose backups would stay on the cluster', () => {
    expect(() => requireObjectStore(parseStackConfig('prod', minimal))).toThrow(
      'Invalid configuration for stack prod: docuchat:backup.objectStore is required',
    );
    const config = parseStackConfig('prod', {
      ...minimal,
      backup: { objectStore: { endpoint: 'http://minio.minio:9000', bucket: 'docuchat-backups' } },
    });
    expect(requireObjectStore(config)).toMatchObject({
      prefix: 'postgresql/',
      serverSideEncryption: 'AES256',
      pathStyle: true,
      keepDaily: 7,
      keepWeekly: 4,
    });
  });

  it.each([
    [
      { ...minimal, backup: { objectStore: { endpoint: 'ftp://x', bucket: 'b-b' } } },
      'docuchat:backup.objectStore.endpoint must be an http(s) URL',
    ],
    [
      { ...minimal, backend: { autoscalng: { maxReplicas: 3 } } },
      'docuchat:backend.autoscalng is not a known setting',
    ],
    [{ ...minimal, namespace: 'DocuChat' }, 'docuchat:namespace must be a DNS label'],
    [{ namespace: 'docuchat-test' }, 'docuchat:domains is required'],
    [
      { ...minimal, runbookBaseUrl: 'docs/' },
      'docuchat:runbookBaseUrl must be an absolute http(s) URL ending with /',
    ],
    [{ ...minimal, release: 'latest' }, 'docuchat:release must be a pinned tag, not "latest"'],
    [
      { ...minimal, images: { backend: { repository: 'ghcr.io/docuchat/docuchat-backend', tag: 'v1.0.0' } } },
      "docuchat:images.backend is not a setting any more: DocuChat's images are <docuchat:images.registry>/docuchat-<component>:<docuchat:release>",
    ],
    [{ ...minimal, images: { registry: 'GHCR.io/Acme' } }, 'docuchat:images.registry must be a registry'],
    [
      { ...minimal, images: { redis: { repository: 'redis', tag: 'latest' } } },
      'docuchat:images.redis.tag must be a pinned tag, not "latest"',
    ],
    [
      { ...minimal, billing: { schedule: '0 27 * * *' } },
      'docuchat:billing.schedule must be a five-field cron schedule',
    ],
    [
      { ...minimal, backend: { resources: { limits: { memory: '1GB' } } } },
      'docuchat:backend.resources.limits.memory must be a memory quantity',
    ],
    [
      { ...minimal, backend: { resources: { requests: { memory: '4Gi' } } } },
      'docuchat:backend.resources must be requests.memory no larger than limits.memory',
    ],
    [
      { ...minimal, backend: { autoscaling: { minReplicas: 5, maxReplicas: 3 } } },
      'docuchat:backend.autoscaling must be minReplicas no larger than maxReplicas',
    ],
    [{ ...minimal, vpa: { enabled: true, updateMode: 'Auto' } }, 'docuchat:vpa.updateMode must be'],
    [
      { ...minimal, backup: { keepDays: 0 } },
      'docuchat:backup.keepDays must be an integer between 1 and 365',
    ],
  ])('rejects invalid configuration naming the key (%#)', (values, message) => {
    expect(errorOf(values)).toContain(`Invalid configuration for stack prod: ${message}`);
  });

  it('reads both stack files the Pulumi CLI reads', () => {
    expect(readStackConfig('prod', REPO_ROOT).namespace).toBe('docuchat-prod');
    expect(readStackConfig('dev', REPO_ROOT).namespace).toBe('docuchat-dev');
  });

  it('converts memory quantities to the bytes the alert rule compares against', () => {
    expect(memoryBytes('1Gi')).toBe(1073741824);
    expect(memoryBytes('768Mi')).toBe(768 * 1024 * 1024);
  });
});

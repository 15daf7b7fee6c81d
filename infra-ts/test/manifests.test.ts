import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEFAULT_PORT,
  HEALTH_PATH,
  LIVENESS_PATH,
  METRICS_PATH,
  STREAMING_PATHS,
} from '../../app/config/http.js';
import { CONFIG_VARIABLES } from '../../app/config/index.js';
import { componentLabels, resourceNames } from '../names.js';
import { secretKeys } from '../secrets.js';
import { find, objectsOf, podOf, raw } from './objects.js';

const prod = objectsOf('prod');

describe('agreed names and labels', () => {
  it('uses the agreed names for every workload and its Service', () => {
    const names = prod.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Namespace/docuchat-prod',
        'Deployment/docuchat-backend',
        'Service/docuchat-backend',
        'HorizontalPodAutoscaler/docuchat-backend',
        'Deployment/docuchat-frontend',
        'Service/docuchat-frontend',
        'StatefulSet/docuchat-postgresql',
        'Service/docuchat-postgresql',
        'Deployment/docuchat-redis',
        'Service/docuchat-redis',
        'StatefulSet/docuchat-prometheus',
        'Service/docuchat-prometheus',
        'Deployment/docuchat-grafana',
        'Service/docuchat-grafana',
        'CronJob/docuchat-billing',
        'CronJob/docuchat-backup',
        'CronJob/docuchat-restore-verify',
        'PersistentVolumeClaim/docuchat-backups',
        'ConfigMap/docuchat-prometheus-config',
        'ConfigMap/docuchat-grafana-dashboards',
      ]),
    );
    expect(
      prod.filter((o) => o.kind !== 'Namespace').every((o) => o.metadata.namespace === 'docuchat-prod'),
    ).toBe(true);
    expect(objectsOf('dev').find((o) => o.kind === 'Namespace')?.metadata.name).toBe('docuchat-dev');
  });

  it('names every object explicitly, never from a construct-path hash', () => {
    for (const object of [...prod, ...objectsOf('dev')]) {
      expect(object.metadata.name, object.kind).toMatch(/^docuchat(-[a-z]+)*$/);
    }
  });

  it('labels every pod with name, part-of and its component', () => {
    const expectations: Array<[string, string, Parameters<typeof componentLabels>[0]]> = [
      ['Deployment', 'docuchat-backend', 'backend'],
      ['Deployment', 'docuchat-frontend', 'frontend'],
      ['StatefulSet', 'docuchat-postgresql', 'postgresql'],
      ['Deployment', 'docuchat-redis', 'redis'],
      ['StatefulSet', 'docuchat-prometheus', 'prometheus'],
      ['Deployment', 'docuchat-grafana', 'grafana'],
      ['CronJob', 'docuchat-billing', 'billing'],
      ['CronJob', 'docuchat-backup', 'backup'],
    ];
    for (const [kind, name, component] of expectations) {
      expect(podOf(prod, kind, name).labels, `${kind}/${name}`).toEqual(componentLabels(component));
    }
  });
});

describe('backend', () => {
  const deployment = raw(find(prod, 'Deployment', 'docuchat-backend'));
  const container = deployment.spec.template.spec.containers[0];

  it('probes the app’s own liveness and readiness paths on its port', () => {
    expect(container.ports).toEqual([{ name: 'http', containerPort: DEFAULT_PORT, protocol: 'TCP' }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: LIVENESS_PATH, port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: HEALTH_PATH, port: 'http' });
    expect(container.command).toEqual(['node', 'build/app/server/main.js']);
  });

  it('leaves the replica count to the autoscaler (2–10 on CPU 70 % and memory 80 %)', () => {
    expect(deployment.spec.replicas).toBeUndefined();
    const hpa = raw(find(prod, 'HorizontalPodAutoscaler', 'docuchat-backend'));
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.maxReplicas).toBe(10);
    expect(
      hpa.spec.metrics.map((m: { resource: { name: string; target: { averageUtilization: number } } }) => [
        m.resource.name,
        m.resource.target.averageUtilization,
      ]),
    ).toEqual([
      ['cpu', 70],
      ['memory', 80],
    ]);
  });

  it('takes secrets only through secretKeyRef and every variable it sets is one the server reads', () => {
    const configMap = raw(find(prod, 'ConfigMap', resourceNames.backendConfig));
    const secretEnv = container.env.map(
      (e: { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }) => {
        expect(e.valueFrom.secretKeyRef.name).toBe(resourceNames.secret);
        return e.valueFrom.secretKeyRef.key;
      },
    );
    expect(secretEnv).toEqual(expect.arrayContaining(['DATABASE_URL', 'JWT_SECRET', 'OPENAI_API_KEY']));
    for (const name of [...Object.keys(configMap.data), ...secretEnv])
      expect(CONFIG_VARIABLES).toContain(name);
    expect(Object.values(secretKeys).map((k) => k.key)).toEqual(expect.arrayContaining(secretEnv));
  });

  it('hands its own memory limit to the HighMemoryUsage rule Prometheus loads', () => {
    const limit = container.resources.limits.memory as string;
    expect(limit).toBe('1Gi');
    const rules = parse(raw(find(prod, 'ConfigMap', resourceNames.prometheusConfig)).data['alerts.yml']);
    const highMemory = rules.groups[0].rules.find((r: { alert: string }) => r.alert === 'HighMemoryUsage');
    expect(highMemory.expr).toContain(String(1024 ** 3));
  });
});

describe('ingress', () => {
  it('routes /api to the backend, / to the frontend and the Grafana host to Grafana, with TLS', () => {
    const ingress = raw(find(prod, 'Ingress', resourceNames.ingress));
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBe('letsencrypt-prod');
    const routes = ingress.spec.rules.flatMap(
      (r: {
        host: string;
        http: {
          paths: Array<{ path: string; backend: { service: { name: string; port: { number: number } } } }>;
        };
      }) =>
        r.http.paths.map(
          (p) => `${r.host}${p.path} -> ${p.backend.service.name}:${p.backend.service.port.number}`,
        ),
    );
    expect(routes).toEqual([
      'docuchat.example.com/api/v1 -> docuchat-backend:8000',
      'docuchat.example.com/ -> docuchat-frontend:8080',
      'grafana.docuchat.example.com/ -> docuchat-grafana:3000',
    ]);
    expect(ingress.spec.tls[0].hosts).toEqual(['docuchat.example.com', 'grafana.docuchat.example.com']);
  });

  it('streams the SSE paths unbuffered with long read timeouts', () => {
    const streaming = raw(find(prod, 'Ingress', resourceNames.streamingIngress));
    expect(streaming.metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    expect(
      Number(streaming.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']),
    ).toBeGreaterThanOrEqual(3600);
    expect(streaming.spec.rules[0].http.paths.map((p: { path: string }) => p.path)).toEqual([
      ...STREAMING_PATHS,
    ]);
    const main = raw(find(prod, 'Ingress', resourceNames.ingress));
    expect(main.metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBeUndefined();
  });
});

describe('prometheus', () => {
  const statefulSet = raw(find(prod, 'StatefulSet', 'docuchat-prometheus'));
  const container = statefulSet.spec.template.spec.containers[0];

  it('keeps 30 days of data on its own volume and loads config and rules from the ConfigMap', () => {
    expect(container.args).toContain('--storage.tsdb.retention.time=30d');
    expect(container.args).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(statefulSet.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
    expect(statefulSet.spec.template.spec.volumes).toContainEqual({
      name: 'config',
      configMap: { name: resourceNames.prometheusConfig },
    });
    const data = raw(find(prod, 'ConfigMap', resourceNames.prometheusConfig)).data;
    expect(Object.keys(data).sort()).toEqual(['alerts.yml', 'prometheus.yml']);
    expect(parse(data['prometheus.yml']).rule_files).toEqual(['alerts.yml']);
  });

  it('may list and watch pods in its namespace for discovery, through its own ServiceAccount', () => {
    expect(statefulSet.spec.template.spec.serviceAccountName).toBe('docuchat-prometheus');
    const role = raw(find(prod, 'Role', 'docuchat-prometheus'));
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
    const binding = raw(find(prod, 'RoleBinding', 'docuchat-prometheus'));
    expect(binding.subjects[0]).toMatchObject({ kind: 'ServiceAccount', name: 'docuchat-prometheus' });
  });

  it('scrapes the backend pods on the metrics path', () => {
    const config = parse(raw(find(prod, 'ConfigMap', resourceNames.prometheusConfig)).data['prometheus.yml']);
    expect(config.scrape_configs[0].metrics_path).toBe(METRICS_PATH);
    expect(config.scrape_configs[0].kubernetes_sd_configs[0].namespaces.names).toEqual(['docuchat-prod']);
  });
});

describe('grafana', () => {
  it('provisions its data source and dashboards from ConfigMaps and reads the admin password from the Secret', () => {
    const deployment = raw(find(prod, 'Deployment', 'docuchat-grafana'));
    const container = deployment.spec.template.spec.containers[0];
    const mounts = Object.fromEntries(
      container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.mountPath, m.name]),
    );
    expect(Object.keys(mounts)).toEqual(
      expect.arrayContaining([
        '/etc/grafana/provisioning/datasources',
        '/etc/grafana/provisioning/dashboards',
        '/var/lib/grafana/dashboards/docuchat',
      ]),
    );
    const dashboards = raw(find(prod, 'ConfigMap', resourceNames.grafanaDashboards));
    expect(Object.keys(dashboards.data).sort()).toEqual(['backend-overview.json', 'token-usage.json']);
    const password = container.env.find((e: { name: string }) => e.name === 'GF_SECURITY_ADMIN_PASSWORD');
    expect(password.valueFrom.secretKeyRef).toEqual({
      name: resourceNames.secret,
      key: 'GRAFANA_ADMIN_PASSWORD',
    });
    const datasources = parse(
      raw(find(prod, 'ConfigMap', resourceNames.grafanaProvisioning)).data['provisioning-datasources.yml'],
    );
    expect(JSON.stringify(datasources)).toContain('http://docuchat-prometheus:9090');
  });
});

describe('scheduled jobs', () => {
  it('bills daily at 03:00 in Tehran time with the backend image, never two runs at once', () => {
    const billing = raw(find(prod, 'CronJob', 'docuchat-billing'));
    const backendImage = raw(find(prod, 'Deployment', 'docuchat-backend')).spec.template.spec.containers[0]
      .image;
    expect(billing.spec.schedule).toBe('0 3 * * *');
    expect(billing.spec.timeZone).toBe('Asia/Tehran');
    expect(billing.spec.concurrencyPolicy).toBe('Forbid');
    const container = billing.spec.jobTemplate.spec.template.spec.containers[0];
    expect(container.image).toBe(backendImage);
    expect(container.command).toEqual(['node', 'build/billing/main.js']);
  });

  it('backs up nightly at 02:00 to the backups claim with the database’s own pg_dump, keeping the configured days', () => {
    const backup = raw(find(prod, 'CronJob', 'docuchat-backup'));
    expect(backup.spec.schedule).toBe('0 2 * * *');
    expect(backup.spec.concurrencyPolicy).toBe('Forbid');
    const pod = backup.spec.jobTemplate.spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'backups',
      persistentVolumeClaim: { claimName: 'docuchat-backups' },
    });
    expect(pod.initContainers[0].image).toBe('pgvector/pgvector:pg16');
    expect(pod.initContainers[0].command[2]).toContain(`-mmin +${14 * 24 * 60}`);
  });

  it('copies every dump off the cluster, encrypted, with the bucket from the stack and the key from the Secret', () => {
    const pod = raw(find(prod, 'CronJob', 'docuchat-backup')).spec.jobTemplate.spec.template.spec;
    const upload = pod.containers[0];
    expect(upload.name).toBe('upload');
    expect(upload.image).toBe('amazon/aws-cli:2.9.19');
    expect(upload.command[2]).toContain('-v daily=7 -v weekly=4');
    const env = Object.fromEntries(
      upload.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [
        e.name,
        e.value ?? e.valueFrom,
      ]),
    );
    expect(env).toMatchObject({
      S3_ENDPOINT: 'https://s3.eu-central-1.amazonaws.com',
      S3_BUCKET: 'docuchat-prod-backups',
      S3_PREFIX: 'postgresql/',
      S3_SSE: 'AES256',
      AWS_DEFAULT_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'docuchat-secrets', key: 'BACKUP_S3_ACCESS_KEY_ID' } },
      AWS_SECRET_ACCESS_KEY: {
        secretKeyRef: { name: 'docuchat-secrets', key: 'BACKUP_S3_SECRET_ACCESS_KEY' },
      },
    });
    expect(upload.volumeMounts).toContainEqual({ name: 'backups', mountPath: '/backups', readOnly: true });
  });

  it('verifies the restore from the bucket, not from the claim on the cluster', () => {
    const pod = raw(find(prod, 'CronJob', 'docuchat-restore-verify')).spec.jobTemplate.spec.template.spec;
    expect(pod.initContainers[0].name).toBe('fetch');
    expect(pod.initContainers[0].image).toBe('amazon/aws-cli:2.9.19');
    expect(pod.containers[0].command[2]).toContain('/restore/docuchat-');
    expect(JSON.stringify(pod.volumes)).not.toContain('docuchat-backups');
  });
});

describe('postgresql', () => {
  it('runs pgvector on PostgreSQL 16 with a volume that outlives the StatefulSet and the password from the Secret', () => {
    const statefulSet = raw(find(prod, 'StatefulSet', 'docuchat-postgresql'));
    expect(statefulSet.spec.template.spec.containers[0].image).toBe('pgvector/pgvector:pg16');
    expect(statefulSet.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    });
    expect(statefulSet.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('50Gi');
    const password = statefulSet.spec.template.spec.containers[0].env.find(
      (e: { name: string }) => e.name === 'POSTGRES_PASSWORD',
    );
    expect(password.valueFrom.secretKeyRef).toEqual({ name: resourceNames.secret, key: 'POSTGRES_PASSWORD' });
  });
});

describe('vertical pod autoscaler', () => {
  it('is off in prod and recommends only (updateMode Off) where a stack turns it on', () => {
    expect(prod.some((o) => o.kind === 'VerticalPodAutoscaler')).toBe(false);
    const vpa = raw(find(objectsOf('dev'), 'VerticalPodAutoscaler', 'docuchat-backend'));
    expect(vpa.spec.targetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'docuchat-backend',
    });
    expect(vpa.spec.updatePolicy.updateMode).toBe('Off');
  });
});

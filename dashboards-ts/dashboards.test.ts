import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PRICE_PER_1K_TOKENS_TOMANS } from '../billing/pricing.js';
import { grafanaFileTargets, PROMETHEUS_DATASOURCE_UID, renderGrafanaFiles } from './index.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource: { uid: string };
  options?: { legend?: { showLegend: boolean } };
  targets: { expr: string; legendFormat: string; datasource: { uid: string } }[];
}
interface Dashboard {
  uid: string;
  title: string;
  templating: { list: { name: string; type: string; current?: { value: unknown } }[] };
  panels: Panel[];
}

const files = renderGrafanaFiles();
const backend = JSON.parse(files['backend-overview.json']) as Dashboard;
const tokens = JSON.parse(files['token-usage.json']) as Dashboard;

function panel(d: Dashboard, title: string): Panel {
  const p = d.panels.find((x) => x.title === title);
  if (!p)
    throw new Error(`${d.title} has no panel "${title}"; it has ${d.panels.map((x) => x.title).join(', ')}`);
  expect(p.targets.length, `${title} has a query`).toBeGreaterThan(0);
  for (const t of p.targets) expect(t.expr, `${title} has an expression`).not.toBe('');
  return p;
}

describe('Grafana dashboards', () => {
  it('Backend Overview has every panel of the seed, each with a query', () => {
    expect(panel(backend, 'Request rate').targets[0]!.expr).toContain(
      'rate(http_request_duration_seconds_count',
    );
    expect(panel(backend, 'Latency (P50, P95, P99)').targets.map((t) => t.legendFormat)).toEqual([
      'P50',
      'P95',
      'P99',
    ]);
    expect(panel(backend, 'Latency (P50, P95, P99)').targets.map((t) => t.expr.slice(0, 24))).toEqual([
      'histogram_quantile(0.5, ',
      'histogram_quantile(0.95,',
      'histogram_quantile(0.99,',
    ]);
    expect(panel(backend, 'Error rate by status code').targets[0]!.expr).toMatch(/^sum by \(status\)/);
    expect(panel(backend, 'Active pods').targets[0]!.expr).toBe('sum(up{job="docuchat-backend"})');
    expect(panel(backend, 'CPU usage').targets[0]!.expr).toContain('process_cpu_seconds_total');
    expect(panel(backend, 'Memory usage').targets[0]!.expr).toContain('process_resident_memory_bytes');
  });

  it('Token Usage & Billing has every panel of the seed, each with a query', () => {
    expect(panel(tokens, 'Tokens by tenant').targets[0]!.expr).toMatch(
      /^sum by \(tenant\) \(rate\(openai_tokens_total/,
    );
    expect(panel(tokens, 'Tokens in the last 24 h').targets[0]!.expr).toContain(
      'increase(openai_tokens_total{',
    );
    expect(panel(tokens, 'Fallbacks between models').targets[0]!.legendFormat).toBe(
      '{{from_model}} → {{to_model}}',
    );
    expect(panel(tokens, 'OpenAI request duration').targets[0]!.expr).toContain(
      'openai_request_duration_seconds_bucket',
    );
    expect(panel(tokens, 'OpenAI success rate').targets[0]!.expr).toContain('status="success"');
  });

  it('prices the estimated cost with the billing price per 1000 tokens', () => {
    const cost = panel(tokens, 'Estimated cost, last 24 h (Tomans)').targets[0]!.expr;
    expect(PRICE_PER_1K_TOKENS_TOMANS).toBe('20');
    expect(cost).toMatch(
      /^\(sum by \(tenant\) \(increase\(openai_tokens_total\{.*\}\[24h\]\)\) \/ 1000\) \* 20$/,
    );
  });

  it('keeps stable uids and panel ids, so links and provisioning survive a re-render', () => {
    expect(backend.uid).toBe('docuchat-backend-overview');
    expect(tokens.uid).toBe('docuchat-token-usage');
    for (const d of [backend, tokens]) {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(renderGrafanaFiles()).toEqual(files);
  });

  it('every query goes through the datasource variable, which defaults to the provisioned Prometheus', () => {
    // Grafana's own variable syntax, not a JavaScript template.
    const viaVariable = `\${${'datasource'}}`;
    for (const d of [backend, tokens]) {
      const variable = d.templating.list.find((v) => v.name === 'datasource');
      expect(variable?.type).toBe('datasource');
      expect(variable?.current?.value).toBe(PROMETHEUS_DATASOURCE_UID);
      for (const p of d.panels) {
        expect(p.datasource.uid).toBe(viaVariable);
        for (const t of p.targets) expect(t.datasource.uid).toBe(viaVariable);
      }
    }
  });

  it('Token Usage & Billing filters every query by the tenant variable; Backend Overview has none to filter', () => {
    expect(tokens.templating.list.find((v) => v.name === 'tenant')?.type).toBe('query');
    for (const p of tokens.panels)
      for (const t of p.targets) expect(t.expr, p.title).toContain('tenant=~"$tenant"');
    expect(backend.templating.list.map((v) => v.name)).toEqual(['datasource']);
  });

  it('time series panels show their legend', () => {
    for (const d of [backend, tokens]) {
      for (const p of d.panels.filter((x) => x.type === 'timeseries')) {
        expect(p.options?.legend?.showLegend, `${d.title}: ${p.title}`).toBe(true);
      }
    }
  });

  it('provisions the Prometheus datasource and a provider reading the directory the dashboards are mounted in', () => {
    const custom = renderGrafanaFiles({ prometheusUrl: 'http://prom.example:9090', dashboardsPath: '/dash' });
    const ds = parseYaml(custom['provisioning-datasources.yml']);
    expect(ds.datasources).toEqual([
      expect.objectContaining({
        uid: PROMETHEUS_DATASOURCE_UID,
        type: 'prometheus',
        url: 'http://prom.example:9090',
        isDefault: true,
      }),
    ]);
    const provider = parseYaml(custom['provisioning-dashboards.yml']);
    expect(provider.providers[0].options.path).toBe('/dash');
    expect(grafanaFileTargets({ dashboardsPath: '/dash' })['token-usage.json']).toBe('/dash');
    expect(() => renderGrafanaFiles({ prometheusUrl: 'prometheus:9090' })).toThrow(
      /prometheusUrl must be an http/,
    );
  });
});

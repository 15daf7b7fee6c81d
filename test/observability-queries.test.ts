import { describe, expect, it } from 'vitest';
import {
  catalogEntryFor,
  distDashboardExprs,
  distRuleExprs,
  parsePromql,
  selectedSeries,
} from './observability-promql.js';

const all = () => [...distRuleExprs(), ...distDashboardExprs()];

describe('PromQL in dist/ rules and dashboards', () => {
  it('finds the eight alerts and every dashboard query', () => {
    expect(distRuleExprs().map((e) => e.source)).toEqual([
      'alerts.yml HighErrorRate',
      'alerts.yml HighLatency',
      'alerts.yml OpenAIHighFailureRate',
      'alerts.yml ExcessiveMLFallbacks',
      'alerts.yml PodDown',
      'alerts.yml HighMemoryUsage',
      'alerts.yml TokenConsumptionSpike',
      'alerts.yml IngestionStuck',
    ]);
    expect(distDashboardExprs().length).toBeGreaterThanOrEqual(12);
  });

  it('every expression parses with the Prometheus grammar in strict mode', () => {
    for (const { source, expr } of all()) {
      expect(expr, source).not.toBe('');
      expect(() => parsePromql(expr), `${source}: ${expr}`).not.toThrow();
    }
  });

  it('the strict parser really rejects a broken expression', () => {
    expect(() => parsePromql('sum(rate(openai_tokens_total[5m])')).toThrow();
  });

  it('every series selected is a catalog metric (or up / a prom-client default) and matched only on its labels', () => {
    for (const { source, expr } of all()) {
      const selected = selectedSeries(expr);
      expect(selected.length, `${source} selects no series`).toBeGreaterThan(0);
      for (const s of selected) {
        const entry = catalogEntryFor(s.name);
        expect(entry, `${source} selects ${s.name}, which is not in app/telemetry/metrics.ts`).toBeDefined();
        for (const label of s.labels) {
          expect(entry!.labels, `${source} matches ${s.name} on unknown label ${label}`).toContain(label);
        }
      }
    }
  });

  it('rules use fixed windows only: Grafana interval variables mean nothing to Prometheus', () => {
    for (const { source, expr } of distRuleExprs()) expect(expr, source).not.toContain('$__');
  });
});

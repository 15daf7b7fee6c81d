/**
 * Test helpers for the generated observability files: the PromQL expressions in `dist/` rules and dashboards,
 * parsed with the Prometheus grammar, and the series each one selects mapped back to the metric catalog.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { allMetricNames, type MetricDefinition, metrics, processMetrics } from '../app/telemetry/metrics.js';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const PROMETHEUS_DIST = path.join(ROOT, 'dist/prometheus');
export const GRAFANA_DIST = path.join(ROOT, 'dist/grafana');

const strict = parser.configure({ strict: true });

export interface SourcedExpr {
  /** Where the expression comes from, for failure messages: `alerts.yml HighErrorRate`, `token-usage.json #3 A`. */
  readonly source: string;
  readonly expr: string;
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

/** Every rule expression in `dist/prometheus/alerts.yml`. */
export function distRuleExprs(): SourcedExpr[] {
  const file = parseYaml(readFileSync(path.join(PROMETHEUS_DIST, 'alerts.yml'), 'utf8')) as RuleFile;
  return file.groups.flatMap((g) =>
    g.rules.map((r) => ({ source: `alerts.yml ${r.alert ?? r.record}`, expr: r.expr })),
  );
}

interface DashboardJson {
  panels: { id: number; title: string; targets?: { refId: string; expr?: string }[] }[];
}

/** The dashboards in `dist/grafana/`, parsed. */
export function distDashboards(): Record<string, DashboardJson & Record<string, unknown>> {
  const out: Record<string, DashboardJson & Record<string, unknown>> = {};
  for (const file of readdirSync(GRAFANA_DIST)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    out[file] = JSON.parse(readFileSync(path.join(GRAFANA_DIST, file), 'utf8'));
  }
  return out;
}

/** Every panel query expression in `dist/grafana/*.json`. */
export function distDashboardExprs(): SourcedExpr[] {
  return Object.entries(distDashboards()).flatMap(([file, d]) =>
    d.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ source: `${file} panel "${p.title}" ${t.refId}`, expr: t.expr ?? '' })),
    ),
  );
}

/**
 * What Prometheus receives from Grafana: interval variables replaced by a duration. Template variables inside
 * label values (`tenant=~"$tenant"`) are plain strings to the parser and stay as they are.
 */
export function asPrometheusSees(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)/g, '5m');
}

/** Parses with the Prometheus grammar in strict mode; throws on a syntax error. */
export function parsePromql(expr: string) {
  return strict.parse(asPrometheusSees(expr));
}

export interface SelectedSeries {
  readonly name: string;
  readonly labels: readonly string[];
}

/** The series an expression selects (metric name and the label names it matches on), in order of appearance. */
export function selectedSeries(expr: string): SelectedSeries[] {
  const text = asPrometheusSees(expr);
  const tree = parsePromql(expr);
  const out: SelectedSeries[] = [];
  tree.iterate({
    enter(node) {
      if (node.name !== 'VectorSelector') return;
      const selector = node.node;
      const id = selector.getChild('Identifier');
      const labels: string[] = [];
      const matchers = selector.getChild('LabelMatchers');
      for (const m of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = m.getChild('LabelName');
        if (label) labels.push(text.slice(label.from, label.to));
      }
      out.push({ name: id ? text.slice(id.from, id.to) : '', labels });
    },
  });
  return out;
}

/** Labels Prometheus attaches to every target (with our relabelling), plus `le` on histogram buckets. */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod'];

/** The catalog metric a series name belongs to, with the labels it may be matched on; undefined when unknown. */
export function catalogEntryFor(name: string): { metric: string; labels: readonly string[] } | undefined {
  for (const def of Object.values(metrics) as MetricDefinition[]) {
    const names =
      def.type === 'histogram' ? ['_bucket', '_count', '_sum'].map((s) => def.name + s) : [def.name];
    if (names.includes(name)) {
      return {
        metric: def.name,
        labels: [...def.labelNames, ...TARGET_LABELS, ...(name.endsWith('_bucket') ? ['le'] : [])],
      };
    }
  }
  if ((Object.values(processMetrics) as string[]).includes(name) || name === 'up') {
    return { metric: name, labels: TARGET_LABELS };
  }
  return undefined;
}

export { allMetricNames };

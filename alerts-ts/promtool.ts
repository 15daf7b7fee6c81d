/**
 * Helpers for writing promtool unit tests in TypeScript: input series named through the catalog and the
 * formatting Prometheus applies in annotation templates, so expected annotations are computed, not copied.
 */
import type { MetricDefinition } from '../app/telemetry/metrics.js';
import type { ExternalSeries, TargetLabel } from './promql.js';
import type { PromtoolAlertExpectation, PromtoolSeries, RenderedAlertRule } from './rule.js';

type SeriesLabels<L extends string> = { readonly [K in L | TargetLabel]?: string };

function labelText(labels: Record<string, string | undefined>): string {
  const parts = Object.entries(labels)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `{${parts.join(', ')}}`;
}

/** A test input series of a catalog counter or gauge. */
export function inputSeries<L extends string>(
  metric: MetricDefinition<L>,
  labels: SeriesLabels<L>,
  values: string,
): PromtoolSeries {
  return { series: `${metric.name}${labelText(labels)}`, values };
}

/** A test input series of one part of a catalog histogram. */
export function inputHistogramSeries<L extends string>(
  metric: MetricDefinition<L>,
  part: { readonly bucket: number | '+Inf' } | 'count' | 'sum',
  labels: SeriesLabels<L>,
  values: string,
): PromtoolSeries {
  if (metric.type !== 'histogram') throw new Error(`${metric.name} is not a histogram`);
  if (typeof part === 'object') {
    return { series: `${metric.name}_bucket${labelText({ ...labels, le: String(part.bucket) })}`, values };
  }
  return { series: `${metric.name}_${part}${labelText(labels)}`, values };
}

/** A test input series of `up` or a prom-client default metric. */
export function inputExternalSeries(
  s: ExternalSeries,
  labels: SeriesLabels<never>,
  values: string,
): PromtoolSeries {
  return { series: `${s.name}${labelText(labels)}`, values };
}

/**
 * promtool's expanding notation for a counter growing by `perStep` for `steps` steps from `start`
 * (`start+perStepxsteps`), so the rate over any window inside it is exactly `perStep / interval`.
 */
export function growing(perStep: number, steps: number, start = 0): string {
  return `${start}+${perStep}x${steps}`;
}

/** A constant value for `steps` steps (`valuexsteps` with a zero increment). */
export function constant(value: number, steps: number): string {
  return `${value}+0x${steps}`;
}

/** Go's `%.4g`, which Prometheus uses in `humanize`, `humanizePercentage` and `humanizeDuration` below a minute. */
function formatG4(value: number): string {
  return String(Number(value.toPrecision(4)));
}

/** The output of Prometheus' `humanizePercentage` template function. */
function humanizePercentage(ratio: number): string {
  return `${formatG4(ratio * 100)}%`;
}

/** The output of Prometheus' `humanize` for values between 1 and 1000. */
function humanize(value: number): string {
  if (!(Math.abs(value) >= 1 && Math.abs(value) < 1000))
    throw new Error(`humanize() helper covers 1..1000, got ${value}`);
  return formatG4(value);
}

/** The output of Prometheus' `humanizeDuration` for durations between 1 s and 1 min. */
function humanizeDuration(seconds: number): string {
  if (!(seconds >= 1 && seconds < 60))
    throw new Error(`humanizeDuration() helper covers 1 s..60 s, got ${seconds}`);
  return `${formatG4(seconds)}s`;
}

const HUMANIZERS: Readonly<Record<string, (value: number) => string>> = {
  humanize,
  humanizePercentage,
  humanizeDuration,
};

/**
 * The alert promtool must see when `rule` fires for a series with `labels` at `value`: the rule's severity plus
 * those labels, and its annotations expanded as Prometheus expands `{{ $labels.x }}` and `{{ $value | fn }}`.
 * A template that needs a label or value the test did not give is an error, not a silently unexpanded string.
 */
export function firingAlert(
  rule: RenderedAlertRule,
  options: { labels?: Readonly<Record<string, string>>; value?: number } = {},
): PromtoolAlertExpectation['exp_alerts'][number] {
  const labels = options.labels ?? {};
  const expand = (text: string) => {
    const expanded = text
      .replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => {
        const label = labels[name];
        if (label === undefined) throw new Error(`${rule.alert}: the test gives no value for label ${name}`);
        return label;
      })
      .replace(/\{\{ \$value \| (\w+) \}\}/g, (_, fn: string) => {
        const humanizer = HUMANIZERS[fn];
        if (!humanizer || options.value === undefined) {
          throw new Error(`${rule.alert}: the test cannot expand {{ $value | ${fn} }}`);
        }
        return humanizer(options.value);
      });
    if (expanded.includes('{{'))
      throw new Error(`${rule.alert}: a template form the test cannot expand: ${expanded}`);
    return expanded;
  };
  return {
    exp_labels: { severity: rule.labels.severity, ...labels },
    exp_annotations: {
      summary: expand(rule.annotations.summary),
      description: expand(rule.annotations.description),
      runbook_url: rule.annotations.runbook_url,
    },
  };
}

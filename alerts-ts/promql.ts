/**
 * A tiny typed PromQL builder. Metric names come only from the catalog (`MetricDefinition`s), and label names
 * are checked against the metric's declared labels plus the labels Prometheus attaches to every target, so a
 * renamed metric or label in `app/telemetry/metrics.ts` breaks the type check of every rule and panel using it.
 *
 * It builds text, not an AST: the output is parsed by `@prometheus-io/lezer-promql` and `promtool` in tests.
 */
import type { MetricDefinition } from '../app/telemetry/metrics.js';

/** Labels Prometheus (and our relabelling in the scrape config) attach to every scraped series. */
export type TargetLabel = 'job' | 'instance' | 'namespace' | 'pod';

/** A PromQL range or offset duration, e.g. `5m`, `1h`, `1w`. */
export type Duration = `${number}${'s' | 'm' | 'h' | 'd' | 'w'}`;

/**
 * Grafana's interval variables, which Grafana replaces before the query reaches Prometheus. Only dashboards
 * use them; a rule with one fails `promtool check rules`.
 */
export type GrafanaInterval = '$__rate_interval' | '$__interval' | '$__range';

/** The window of a range vector: a fixed duration, or a Grafana interval in dashboards. */
export type RangeWindow = Duration | GrafanaInterval;

/**
 * A PromQL expression whose result carries (at most) the labels `L`. The type parameter is what makes
 * `sum by (...)` and label matchers refuse label names the metric does not have.
 */
export interface Expr<L extends string = string> {
  readonly promql: string;
  /** Phantom field carrying the label set; never read at run time. */
  readonly __labels?: L;
}

/** A label matcher value: a plain string is an equality match. */
export type Matcher =
  | string
  | { readonly re: string }
  | { readonly not: string }
  | { readonly notRe: string };

export type Matchers<L extends string> = { readonly [K in L]?: Matcher };

/** A series that is not in our catalog because Prometheus itself or prom-client's defaults produce it. */
export interface ExternalSeries {
  readonly name: string;
  /** Why this series may be referenced although the catalog does not define it. */
  readonly origin: 'prometheus' | 'prom-client-default';
}

/** `up`: 1 when the last scrape of a target succeeded, 0 when it failed. Produced by Prometheus. */
export const upSeries: ExternalSeries = { name: 'up', origin: 'prometheus' };

/** Series Prometheus or prom-client produce that rules and panels may name besides the catalog. */
export function externalSeries(name: string, origin: ExternalSeries['origin']): ExternalSeries {
  return { name, origin };
}

function quote(value: string): string {
  return JSON.stringify(value);
}

function renderMatchers(matchers: Record<string, Matcher | undefined>): string {
  const parts: string[] = [];
  for (const [label, m] of Object.entries(matchers)) {
    if (m === undefined) continue;
    if (typeof m === 'string') parts.push(`${label}=${quote(m)}`);
    else if ('re' in m) parts.push(`${label}=~${quote(m.re)}`);
    else if ('not' in m) parts.push(`${label}!=${quote(m.not)}`);
    else parts.push(`${label}!~${quote(m.notRe)}`);
  }
  return parts.length === 0 ? '' : `{${parts.join(', ')}}`;
}

function raw<L extends string>(promql: string): Expr<L> {
  return { promql };
}

/** An instant vector selector for a counter or gauge of the catalog. */
export function series<L extends string>(
  metric: MetricDefinition<L>,
  matchers: Matchers<L | TargetLabel> = {},
): Expr<L | TargetLabel> {
  if (metric.type === 'histogram') {
    throw new Error(
      `${metric.name} is a histogram: select histogramBuckets(), histogramCount() or histogramSum() instead`,
    );
  }
  return raw(`${metric.name}${renderMatchers(matchers)}`);
}

function histogramPart<L extends string>(
  metric: MetricDefinition<L>,
  suffix: '_bucket' | '_count' | '_sum',
  matchers: Record<string, Matcher | undefined>,
): string {
  if (metric.type !== 'histogram') {
    throw new Error(`${metric.name} is a ${metric.type}, it has no ${suffix} series`);
  }
  return `${metric.name}${suffix}${renderMatchers(matchers)}`;
}

/** The `_bucket` series of a catalog histogram (they carry the `le` label). */
export function histogramBuckets<L extends string>(
  metric: MetricDefinition<L>,
  matchers: Matchers<L | TargetLabel> = {},
): Expr<L | TargetLabel | 'le'> {
  return raw(histogramPart(metric, '_bucket', matchers));
}

/** The `_count` series of a catalog histogram: the number of observations, usable like a counter. */
export function histogramCount<L extends string>(
  metric: MetricDefinition<L>,
  matchers: Matchers<L | TargetLabel> = {},
): Expr<L | TargetLabel> {
  return raw(histogramPart(metric, '_count', matchers));
}

/** The `_sum` series of a catalog histogram. */
export function histogramSum<L extends string>(
  metric: MetricDefinition<L>,
  matchers: Matchers<L | TargetLabel> = {},
): Expr<L | TargetLabel> {
  return raw(histogramPart(metric, '_sum', matchers));
}

/** A series produced by Prometheus or prom-client defaults (`up`, `process_resident_memory_bytes`, ...). */
export function external(s: ExternalSeries, matchers: Matchers<TargetLabel> = {}): Expr<TargetLabel> {
  return raw(`${s.name}${renderMatchers(matchers)}`);
}

export interface RangeOptions {
  /** Look this far back (`offset`), e.g. to compare with the same hour last week. */
  readonly offset?: Duration;
}

function range(e: Expr<string>, window: RangeWindow, options: RangeOptions): string {
  return `${e.promql}[${window}]${options.offset ? ` offset ${options.offset}` : ''}`;
}

/** Per-second rate of a counter over `window`. */
export function rate<L extends string>(e: Expr<L>, window: RangeWindow, options: RangeOptions = {}): Expr<L> {
  return raw(`rate(${range(e, window, options)})`);
}

/** Increase of a counter over `window`. */
export function increase<L extends string>(
  e: Expr<L>,
  window: RangeWindow,
  options: RangeOptions = {},
): Expr<L> {
  return raw(`increase(${range(e, window, options)})`);
}

/** `sum by (labels) (e)`; with no labels, `sum(e)` — the result carries only the grouping labels. */
export function sum<L extends string, K extends L = never>(e: Expr<L>, by: readonly K[] = []): Expr<K> {
  return raw(by.length === 0 ? `sum(${e.promql})` : `sum by (${by.join(', ')}) (${e.promql})`);
}

/** `max by (labels) (e)`; with no labels, `max(e)`. */
export function max<L extends string, K extends L = never>(e: Expr<L>, by: readonly K[] = []): Expr<K> {
  return raw(by.length === 0 ? `max(${e.promql})` : `max by (${by.join(', ')}) (${e.promql})`);
}

/** `count by (labels) (e)`. */
export function count<L extends string, K extends L = never>(e: Expr<L>, by: readonly K[] = []): Expr<K> {
  return raw(by.length === 0 ? `count(${e.promql})` : `count by (${by.join(', ')}) (${e.promql})`);
}

/** `scalar(e)`: a single-series result as a number, so dividing a grouped vector by it keeps every group. */
export function scalar(e: Expr<string>): Expr<never> {
  return raw(`scalar(${e.promql})`);
}

/** `histogram_quantile(q, e)` over bucket rates that still carry `le`. */
export function histogramQuantile<L extends string>(q: number, e: Expr<L | 'le'>): Expr<Exclude<L, 'le'>> {
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile must be between 0 and 1, got ${q}`);
  return raw(`histogram_quantile(${q}, ${e.promql})`);
}

type Operand<L extends string> = Expr<L> | number;

function operand(o: Operand<string>): string {
  if (typeof o === 'number') {
    if (!Number.isFinite(o)) throw new Error(`PromQL operand must be a finite number, got ${o}`);
    return String(o);
  }
  return o.promql;
}

function binary<L extends string>(a: Operand<L>, op: string, b: Operand<L>): Expr<L> {
  return raw(`${operand(a)} ${op} ${operand(b)}`);
}

/** Wraps an expression in parentheses so operator precedence is explicit in the rendered text. */
export function group<L extends string>(e: Expr<L>): Expr<L> {
  return raw(`(${e.promql})`);
}

/** `(a) / (b)`. */
export function div<L extends string>(a: Operand<L>, b: Operand<L>): Expr<L> {
  return binary(parenthesise(a), '/', parenthesise(b));
}

/** `a * b`. */
export function mul<L extends string>(a: Operand<L>, b: Operand<L>): Expr<L> {
  return binary(parenthesise(a), '*', parenthesise(b));
}

/** `a > b` — as an alert condition, keeps only the series above the threshold. */
export function gt<L extends string>(a: Operand<L>, b: Operand<L>): Expr<L> {
  return binary(a, '>', b);
}

/** `a == b` — e.g. `up == 0`. */
export function eq<L extends string>(a: Operand<L>, b: Operand<L>): Expr<L> {
  return binary(a, '==', b);
}

/** `a and b` — keeps series of `a` that also have a match in `b`. */
export function and<L extends string>(a: Expr<L>, b: Expr<L>): Expr<L> {
  return binary(parenthesise(a), 'and', parenthesise(b));
}

function parenthesise<L extends string>(o: Operand<L>): Operand<L> {
  if (typeof o === 'number') return o;
  // Calls and selectors are atoms; anything with an operator at the top level gets parentheses.
  return / (\+|-|\*|\/|%|\^|==|!=|>=|<=|>|<|and|or|unless) /.test(topLevel(o.promql)) ? group(o) : o;
}

/** The text with the contents of balanced (), {} and [] removed, to see which operators sit at the top level. */
function topLevel(text: string): string {
  let depth = 0;
  let out = '';
  for (const ch of text) {
    if (ch === '(' || ch === '{' || ch === '[') depth++;
    if (depth === 0) out += ch;
    if (ch === ')' || ch === '}' || ch === ']') depth--;
  }
  return out;
}

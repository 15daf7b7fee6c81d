/**
 * The alerting-rule construct: a rule cannot be built without a severity, a summary, a description and a
 * runbook link, and every rule carries the promtool unit tests that pin its behaviour on both sides of the
 * threshold and of its `for` duration.
 */
import { DEFAULT_RUNBOOK_BASE_URL } from './params.js';
import type { Duration, Expr } from './promql.js';

/** `critical` pages someone now; `warning` is looked at during working hours. */
export type Severity = 'critical' | 'warning';

/** Annotations every DocuChat alert must carry. Text may use Prometheus templating (`{{ $value }}`, labels). */
export interface AlertAnnotations {
  /** One line an on-call engineer reads on a phone. */
  readonly summary: string;
  /** What is happening, with the observed value. */
  readonly description: string;
  /** Where to read what to do: `<base URL>docs/runbooks/alerts.md#<alertname-lowercase>`, absolute. */
  readonly runbook_url: string;
}

export interface AlertRuleSpec {
  /** CamelCase alert name, also the runbook anchor (lower-cased). */
  readonly alert: string;
  readonly expr: Expr;
  /** How long the condition must hold before the alert fires (it is `pending` until then). */
  readonly for: Duration;
  readonly severity: Severity;
  readonly annotations: AlertAnnotations;
}

/** A rule as Prometheus reads it from a rule file. */
export interface RenderedAlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: Duration;
  readonly labels: { readonly severity: Severity };
  readonly annotations: AlertAnnotations;
}

/** One input series of a promtool unit test, in promtool's expanding notation (`0+10x30`). */
export interface PromtoolSeries {
  readonly series: string;
  readonly values: string;
}

export interface PromtoolAlertExpectation {
  /** Evaluation time from the start of the test, e.g. `10m`. */
  readonly eval_time: Duration;
  readonly alertname: string;
  /** Empty: the alert must not be firing at that time (pending does not count). */
  readonly exp_alerts: readonly {
    readonly exp_labels: Readonly<Record<string, string>>;
    readonly exp_annotations: AlertAnnotations;
  }[];
}

/** One `tests:` entry of a promtool rule-test file. */
export interface PromtoolTestCase {
  /** Says in words what the case proves; rendered as a YAML comment-free `name` field promtool prints on failure. */
  readonly name: string;
  readonly interval: Duration;
  readonly input_series: readonly PromtoolSeries[];
  readonly alert_rule_test: readonly PromtoolAlertExpectation[];
}

/** A rule together with the unit tests written beside it. */
export interface AlertRule {
  readonly rule: RenderedAlertRule;
  readonly tests: readonly PromtoolTestCase[];
}

/** Builds a rule; the spec type makes severity, summary, description and runbook link mandatory. */
export function alertRule(
  spec: AlertRuleSpec,
  tests: (rule: RenderedAlertRule) => PromtoolTestCase[],
): AlertRule {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(spec.alert)) {
    throw new Error(`alert name ${JSON.stringify(spec.alert)} must be CamelCase, e.g. HighErrorRate`);
  }
  for (const [key, value] of Object.entries(spec.annotations)) {
    if (value.trim() === '') throw new Error(`${spec.alert}: annotation ${key} must not be empty`);
  }
  const rule: RenderedAlertRule = {
    alert: spec.alert,
    expr: spec.expr.promql,
    for: spec.for,
    labels: { severity: spec.severity },
    annotations: spec.annotations,
  };
  const cases = tests(rule);
  const pinsQuiet = cases.some((c) => c.alert_rule_test.some((t) => t.exp_alerts.length === 0));
  const pinsFiring = cases.some((c) => c.alert_rule_test.some((t) => t.exp_alerts.length > 0));
  if (!pinsQuiet || !pinsFiring) {
    throw new Error(`${spec.alert}: its tests must pin both a quiet and a firing evaluation`);
  }
  return { rule, tests: cases };
}

/** The runbook link of an alert: `<baseUrl>docs/runbooks/alerts.md#<alert, lower case>`. */
export function runbookUrl(alert: string, baseUrl: string = DEFAULT_RUNBOOK_BASE_URL): string {
  return `${baseUrl}docs/runbooks/alerts.md#${alert.toLowerCase()}`;
}

/**
 * Small typed factories the dashboards are composed of: a Prometheus query from a typed expression, a time
 * series panel and a stat panel with legends on and units set, and the datasource and tenant variables.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import type { Expr } from '../alerts-ts/promql.js';
import type { MetricDefinition } from '../app/telemetry/metrics.js';
import { PROMETHEUS_DATASOURCE_UID } from './params.js';

/** Name of the datasource variable; every query points at it so a dashboard works against any Prometheus. */
export const DATASOURCE_VARIABLE = 'datasource';
/** Name of the tenant variable; tenant-labelled queries match `tenant=~"$tenant"`. */
export const TENANT_VARIABLE = 'tenant';
/** Matcher value for queries filtered by the tenant variable (its "All" value is `.*`). */
export const TENANT_MATCHER = { re: `$${TENANT_VARIABLE}` } as const;

const datasourceRef: common.DataSourceRef = { type: 'prometheus', uid: `\${${DATASOURCE_VARIABLE}}` };

/** One query of a panel: the typed expression and the legend Grafana shows for each series. */
export interface PanelQuery {
  readonly expr: Expr;
  /** Grafana legend template, e.g. `{{tenant}}`; label names come from the expression's result. */
  readonly legend: string;
  /** Evaluate once at the end of the range instead of as a time series (stat panels over `[24h]`). */
  readonly instant?: boolean;
}

/** Where a panel sits on the 24-column grid. */
export interface GridPosition {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface PanelSpec {
  /** Stable panel id: Grafana links and saved views refer to it. */
  readonly id: number;
  readonly title: string;
  /** What the panel shows and how to read it, shown as the panel's info tooltip. */
  readonly description: string;
  /** Grafana unit id, e.g. `reqps`, `s`, `bytes`, `percentunit`, `short`, or `suffix: Tomans`. */
  readonly unit: string;
  readonly queries: readonly PanelQuery[];
  readonly grid: GridPosition;
}

function query(q: PanelQuery, index: number): DataqueryBuilder {
  const builder = new DataqueryBuilder()
    .datasource(datasourceRef)
    .refId(String.fromCharCode(65 + index))
    .expr(q.expr.promql)
    .legendFormat(q.legend);
  return q.instant ? builder.instant() : builder.range();
}

function legend(): common.VizLegendOptionsBuilder {
  // Legends are hidden by default in the SDK; a table with mean, max and last lets a reader compare series.
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(['mean', 'max', 'lastNotNull']);
}

/** A time series panel with a table legend. */
export function timeSeriesPanel(spec: PanelSpec): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .id(spec.id)
    .title(spec.title)
    .description(spec.description)
    .datasource(datasourceRef)
    .unit(spec.unit)
    .gridPos(spec.grid)
    .legend(legend())
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never);
  spec.queries.forEach((q, i) => {
    panel.withTarget(query(q, i));
  });
  return panel;
}

/** A single-value panel showing the last value of each series, named by its legend. */
export function statPanel(spec: PanelSpec): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .id(spec.id)
    .title(spec.title)
    .description(spec.description)
    .datasource(datasourceRef)
    .unit(spec.unit)
    .gridPos(spec.grid)
    .graphMode(common.BigValueGraphMode.Area)
    .textMode(common.BigValueTextMode.ValueAndName)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']));
  spec.queries.forEach((q, i) => {
    panel.withTarget(query(q, i));
  });
  return panel;
}

/** The `datasource` variable: any Prometheus datasource, defaulting to the provisioned one. */
export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder(DATASOURCE_VARIABLE)
    .label('Data source')
    .type('prometheus')
    .current({ selected: true, text: 'Prometheus', value: PROMETHEUS_DATASOURCE_UID });
}

/** The `tenant` variable: the tenants a metric has seen, several at once, "All" by default. */
export function tenantVariable<L extends string>(
  // Only a metric with a `tenant` label can list tenants.
  metric: MetricDefinition<L> & ('tenant' extends L ? unknown : never),
  jobName: string,
): QueryVariableBuilder {
  const definition = `label_values(${metric.name}{job=${JSON.stringify(jobName)}}, ${TENANT_VARIABLE})`;
  return new QueryVariableBuilder(TENANT_VARIABLE)
    .label('Tenant')
    .datasource(datasourceRef)
    .query({ query: definition, refId: 'TenantVariableQuery', qryType: 1 })
    .definition(definition)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

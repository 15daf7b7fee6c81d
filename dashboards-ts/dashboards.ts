import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { backendOverviewDashboard } from './backend-overview.js';
import type { ResolvedGrafanaParams } from './params.js';
import { tokenUsageDashboard } from './token-usage.js';

function json(builder: DashboardBuilder): string {
  return `${JSON.stringify(builder.build(), null, 2)}\n`;
}

/** Both dashboards as Grafana JSON (what "Import dashboard" and the file provider read). */
export function renderDashboards(p: ResolvedGrafanaParams): { backendOverview: string; tokenUsage: string } {
  return { backendOverview: json(backendOverviewDashboard(p)), tokenUsage: json(tokenUsageDashboard(p)) };
}

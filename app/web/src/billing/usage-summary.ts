import type { UsageRow } from '../api/types.js';

export interface ModelUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
  requests: number;
}

export interface UsageSummary {
  todayTotal: number;
  monthTotal: number;
  today: ModelUsage[];
  month: ModelUsage[];
}

/**
 * Today's and this month's tokens by model. `today` is the server's last day (`to`, in the billing time zone),
 * so the page agrees with invoices whatever the browser's own time zone.
 */
export function summarizeUsage(rows: UsageRow[], today: string): UsageSummary {
  const month = today.slice(0, 7);
  const group = (selected: UsageRow[]) => {
    const byModel = new Map<string, ModelUsage>();
    for (const row of selected) {
      const entry = byModel.get(row.model) ?? {
        model: row.model,
        inputTokens: 0,
        outputTokens: 0,
        requests: 0,
      };
      entry.inputTokens += row.inputTokens;
      entry.outputTokens += row.outputTokens;
      entry.requests += row.requests;
      byModel.set(row.model, entry);
    }
    return [...byModel.values()].sort((a, b) => a.model.localeCompare(b.model));
  };
  const total = (models: ModelUsage[]) => models.reduce((sum, m) => sum + m.inputTokens + m.outputTokens, 0);
  const todayModels = group(rows.filter((r) => r.day === today));
  const monthModels = group(rows.filter((r) => r.day.startsWith(month)));
  return {
    today: todayModels,
    month: monthModels,
    todayTotal: total(todayModels),
    monthTotal: total(monthModels),
  };
}

/** First day of the previous month (browser calendar): always on or before the server's today, covers this month. */
export function usageRangeStart(now = new Date()): string {
  const start = new Date(Date.UTC(now.getFullYear(), now.getMonth() - 1, 1));
  return start.toISOString().slice(0, 10);
}

import type { Queryable } from '../../db/index.js';
import type { AuthContext } from '../accounts/repository.js';
import { HttpError } from '../errors.js';

/**
 * Refuses a question when the tenant's daily token budget (tenants.daily_token_budget; NULL = unlimited) is
 * spent. The day is the billing day, so the budget resets at midnight in the billing time zone. An unlimited
 * team (the default; its budget comes with the auth context) does not pay for summing its day's ledger.
 */
export async function assertWithinBudget(
  db: Queryable,
  auth: Pick<AuthContext, 'tenantId' | 'dailyTokenBudget'>,
  timeZone: string,
): Promise<void> {
  if (auth.dailyTokenBudget === null) return;
  const { rows } = await db.query<{ budget: number | null; used: number; resets_at: Date }>(
    `WITH day AS (SELECT date_trunc('day', now() AT TIME ZONE $2) AT TIME ZONE $2 AS start)
     SELECT t.daily_token_budget AS budget,
            coalesce((SELECT sum(u.input_tokens + u.output_tokens) FROM usage_ledger u, day
                       WHERE u.tenant_id = t.id AND u.created_at >= day.start), 0)::bigint AS used,
            (SELECT start + interval '1 day' FROM day) AS resets_at
       FROM tenants t WHERE t.id = $1`,
    [auth.tenantId, timeZone],
  );
  const row = rows[0];
  if (!row || row.budget === null || row.used < row.budget) return;
  const minutes = Math.max(1, Math.ceil((row.resets_at.getTime() - Date.now()) / 60_000));
  const fmt = new Intl.NumberFormat('en-US');
  throw new HttpError(
    429,
    'budget_exceeded',
    `Your team's daily budget of ${fmt.format(row.budget)} tokens is used up (${fmt.format(row.used)} used). ` +
      `It resets at midnight ${timeZone} (${row.resets_at.toISOString()}), in ${Math.floor(minutes / 60)} h ${minutes % 60} min.`,
    { 'retry-after': String(minutes * 60) },
  );
}

import type { Queryable } from '../../app/db/index.js';

/** A tenant's billable usage for one period, with what pricing needs to know about the tenant. */
export interface TenantUsage {
  tenantId: string;
  slug: string;
  name: string;
  billingEmail: string | null;
  /** numeric(5,2) as text, e.g. "10.00". */
  discountPercent: string;
  tokens: number;
}

export type UsageSourceName = 'ledger' | 'prometheus';

export interface UsageReport {
  source: UsageSourceName;
  /** What was asked, for the log ("SQL sum of usage_ledger", the PromQL expression). */
  description: string;
  usage: TenantUsage[];
  /** Usage the source reported for tenants that do not exist (Prometheus `tenant` labels without a tenant). */
  unknownTenants: { slug: string; tokens: number }[];
}

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
  billing_email: string | null;
  discount_percent: string;
}

export async function tenantsBySlug(db: Queryable, slugs: string[]): Promise<Map<string, TenantRow>> {
  const { rows } = await db.query<TenantRow>(
    `SELECT id, slug, name, billing_email, discount_percent::text AS discount_percent
       FROM tenants WHERE slug = ANY($1::text[])`,
    [slugs],
  );
  return new Map(rows.map((r) => [r.slug, r]));
}

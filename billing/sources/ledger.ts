import type { Queryable } from '../../app/db/index.js';
import type { BillingPeriod } from '../period.js';
import type { UsageReport } from './usage.js';

/**
 * The exact usage of the period: the sum of input and output tokens of every usage_ledger row created in
 * [period.from, period.to), per tenant. Tenants without usage are absent. Runs as the connecting role, which row
 * level security does not restrict (the billing job sees every tenant).
 */
export async function ledgerUsage(db: Queryable, period: BillingPeriod): Promise<UsageReport> {
  const { rows } = await db.query<{
    id: string;
    slug: string;
    name: string;
    billing_email: string | null;
    discount_percent: string;
    tokens: number;
  }>(
    `SELECT t.id, t.slug, t.name, t.billing_email, t.discount_percent::text AS discount_percent,
            sum(u.input_tokens::bigint + u.output_tokens::bigint)::bigint AS tokens
       FROM usage_ledger u JOIN tenants t ON t.id = u.tenant_id
      WHERE u.created_at >= $1 AND u.created_at < $2
      GROUP BY t.id
     HAVING sum(u.input_tokens::bigint + u.output_tokens::bigint) > 0
      ORDER BY t.slug`,
    [period.from, period.to],
  );
  return {
    source: 'ledger',
    description: `sum of usage_ledger tokens from ${period.from.toISOString()} to ${period.to.toISOString()}`,
    usage: rows.map((r) => ({
      tenantId: r.id,
      slug: r.slug,
      name: r.name,
      billingEmail: r.billing_email,
      discountPercent: r.discount_percent,
      tokens: Number(r.tokens),
    })),
    unknownTenants: [],
  };
}

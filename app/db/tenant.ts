import type pg from 'pg';

/** The non-owner role request transactions run as; row-level security restricts it to one tenant. */
export const APP_ROLE = 'docuchat_app';

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** Runs `fn` in a transaction on one client; commits when it resolves, rolls back when it throws. */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Runs `fn` in a transaction as the application role with `app.tenant_id` set, so row-level security shows
 * only this tenant's rows. Repository functions still filter by tenant explicitly; this is the second wall.
 */
export function withTenant<T>(
  pool: pg.Pool,
  tenantId: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return withTransaction(pool, async (client) => {
    await client.query(`SET LOCAL ROLE ${APP_ROLE}`);
    await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    return fn(client);
  });
}

import type pg from 'pg';

/** The non-owner role request transactions run as; row-level security restricts it to one tenant. */
export const APP_ROLE = 'docuchat_app';

export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Runs `fn` in a transaction on one client; commits when it resolves, rolls back when it throws. `begin` may
 * append statements that configure the transaction, sent in the same round trip.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its text form: safe to inline in SQL. */
export const isUuid = (value: string) => UUID.test(value);

/**
 * Runs `fn` in a transaction as the application role with `app.tenant_id` set, so row-level security shows
 * only this tenant's rows. Repository functions still filter by tenant explicitly; this is the second wall.
 *
 * BEGIN, the role and the tenant go to the server as one statement batch (one round trip instead of three: on
 * the embedded database every round trip waits in one queue). The tenant id is inlined, so it must be a UUID.
 * `settings` (constant `SET LOCAL` statements, never user input) join that batch.
 */
export async function withTenant<T>(
  pool: pg.Pool,
  tenantId: string,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { settings?: string } = {},
): Promise<T> {
  if (!isUuid(tenantId)) throw new TypeError('withTenant needs a tenant UUID');
  const begin = `BEGIN; SET LOCAL ROLE ${APP_ROLE}; SELECT set_config('app.tenant_id', '${tenantId.toLowerCase()}', true)`;
  return withTransaction(pool, fn, options.settings ? `${begin}; ${options.settings}` : begin);
}

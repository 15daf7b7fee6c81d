import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '../../db/index.js';
import { conflict } from '../errors.js';

export type Role = 'owner' | 'admin' | 'member';

/** Who is calling: set on every authenticated request. */
export interface AuthContext {
  userId: string;
  tenantId: string;
  tenantSlug: string;
  role: Role;
  email: string;
  /** The team's daily token budget (NULL: unlimited), read with the user so an unlimited team's question skips the check. */
  dailyTokenBudget: number | null;
}

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
}

export interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  full_name: string;
  role: Role;
  created_at: Date;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A URL- and label-safe slug; names without Latin letters (Persian) get a random one. */
export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return base || `team-${randomBytes(3).toString('hex')}`;
}

export async function createAccount(
  pool: pg.Pool,
  input: { email: string; passwordHash: string; fullName: string; tenantName: string },
): Promise<{ user: UserRow; tenant: TenantRow }> {
  return withTransaction(pool, async (client) => {
    const existing = await client.query('SELECT 1 FROM users WHERE email = $1', [input.email]);
    if (existing.rowCount) throw conflict('An account with this e-mail already exists');
    const base = slugify(input.tenantName);
    let tenant: TenantRow | undefined;
    for (let i = 0; !tenant; i++) {
      const slug = i === 0 ? base : `${base.slice(0, 40)}-${randomBytes(2).toString('hex')}`;
      const { rows } = await client.query<TenantRow>(
        `INSERT INTO tenants (slug, name, billing_email) VALUES ($1, $2, $3)
         ON CONFLICT (slug) DO NOTHING RETURNING id, slug, name`,
        [slug, input.tenantName, input.email],
      );
      tenant = rows[0];
    }
    try {
      const { rows } = await client.query<UserRow>(
        `INSERT INTO users (tenant_id, email, password_hash, full_name, role) VALUES ($1, $2, $3, $4, 'owner')
         RETURNING id, tenant_id, email, full_name, role, created_at`,
        [tenant.id, input.email, input.passwordHash, input.fullName],
      );
      return { user: rows[0]!, tenant };
    } catch (error) {
      // Two registrations racing for one e-mail: the unique index decides.
      if ((error as { code?: string }).code === '23505')
        throw conflict('An account with this e-mail already exists');
      throw error;
    }
  });
}

/** Login lookup across tenants (runs as the owner role: the tenant is not known yet). */
export async function findUserByEmail(pool: pg.Pool, email: string) {
  const { rows } = await pool.query<UserRow & { password_hash: string }>(
    'SELECT id, tenant_id, email, full_name, role, created_at, password_hash FROM users WHERE email = $1',
    [email],
  );
  return rows[0];
}

/** The caller's identity for a token's subject; undefined when the user was deleted. */
export async function loadAuthContext(pool: pg.Pool, userId: string): Promise<AuthContext | undefined> {
  const { rows } = await pool.query<AuthContext>(
    `SELECT u.id AS "userId", u.tenant_id AS "tenantId", t.slug AS "tenantSlug", u.role, u.email,
            t.daily_token_budget AS "dailyTokenBudget"
       FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = $1`,
    [userId],
  );
  return rows[0];
}

export async function loadProfile(pool: pg.Pool, userId: string) {
  const { rows } = await pool.query(
    `SELECT u.id, u.email, u.full_name, u.role, u.created_at,
            json_build_object('id', t.id, 'slug', t.slug, 'name', t.name,
              'discount_percent', t.discount_percent::float8, 'daily_token_budget', t.daily_token_budget) AS tenant
       FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = $1`,
    [userId],
  );
  return rows[0];
}

export interface IssuedRefreshToken {
  token: string;
  expiresAt: Date;
}

export async function issueRefreshToken(
  db: Pick<pg.PoolClient, 'query'>,
  user: { id: string; tenant_id: string },
  ttlDays: number,
  familyId: string = randomUUID(),
): Promise<IssuedRefreshToken> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlDays * 86_400_000);
  await db.query(
    `INSERT INTO refresh_tokens (tenant_id, user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)`,
    [user.tenant_id, user.id, familyId, sha256(token), expiresAt],
  );
  return { token, expiresAt };
}

export type RotateResult =
  | { ok: true; userId: string; token: IssuedRefreshToken }
  | { ok: false; reason: 'unknown' | 'expired' | 'reused' };

/**
 * Exchanges a refresh token for a new one of the same family. Presenting a token that was already rotated means
 * it was stolen or replayed: the whole family is revoked, logging out every copy.
 */
export async function rotateRefreshToken(
  pool: pg.Pool,
  token: string,
  ttlDays: number,
): Promise<RotateResult> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{
      id: string;
      user_id: string;
      tenant_id: string;
      family_id: string;
      expires_at: Date;
      rotated_at: Date | null;
      revoked_at: Date | null;
    }>('SELECT * FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE', [sha256(token)]);
    const row = rows[0];
    if (!row) return { ok: false, reason: 'unknown' } as const;
    if (row.rotated_at || row.revoked_at) {
      await client.query(
        'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL',
        [row.family_id],
      );
      return { ok: false, reason: 'reused' } as const;
    }
    if (row.expires_at.getTime() <= Date.now()) return { ok: false, reason: 'expired' } as const;
    await client.query('UPDATE refresh_tokens SET rotated_at = now() WHERE id = $1', [row.id]);
    const next = await issueRefreshToken(
      client,
      { id: row.user_id, tenant_id: row.tenant_id },
      ttlDays,
      row.family_id,
    );
    return { ok: true, userId: row.user_id, token: next } as const;
  });
}

/** Revokes the family of a refresh token (logout). Unknown tokens are ignored: logout is idempotent. */
export async function revokeRefreshFamily(pool: pg.Pool, token: string): Promise<void> {
  await pool.query(
    `UPDATE refresh_tokens SET revoked_at = now()
      WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
    [sha256(token)],
  );
}

import '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config/index.js';
import { decoyHash, hashPassword, verifyPassword } from '../accounts/passwords.js';
import {
  createAccount,
  findUserByEmail,
  issueRefreshToken,
  loadProfile,
  revokeRefreshFamily,
  rotateRefreshToken,
} from '../accounts/repository.js';
import { badRequest, HttpError, unauthorized } from '../errors.js';
import {
  LoginBody,
  MeResponse,
  RefreshBody,
  RegisterBody,
  RegisterResponse,
  TokenResponse,
} from '../schemas/auth.js';
import { ErrorResponse } from '../schemas/common.js';

export interface AuthRoutesOptions {
  pool: pg.Pool;
  config: Pick<Config, 'ACCESS_TOKEN_TTL_SECONDS' | 'REFRESH_TOKEN_TTL_DAYS' | 'LOGIN_RATE_LIMIT_PER_MINUTE'>;
}

const INVALID_LOGIN = 'Incorrect e-mail or password';

const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, { pool, config }) => {
  const perAccount = config.LOGIN_RATE_LIMIT_PER_MINUTE;
  // Brute force from one address across many accounts, and against one account from many addresses.
  const limitByIp = limiter(app, perAccount * 10, (req) => `ip:${req.ip}`);
  const limitByAccount = limiter(app, perAccount, (req) => {
    const body = (req.body ?? {}) as { username?: string; email?: string };
    return `account:${String(body.username ?? body.email ?? '')
      .trim()
      .toLowerCase()}`;
  });

  const tokensFor = async (user: { id: string; tenant_id: string }) => {
    const refresh = await issueRefreshToken(pool, user, config.REFRESH_TOKEN_TTL_DAYS);
    return {
      access_token: app.signAccessToken(user),
      token_type: 'bearer' as const,
      expires_in: config.ACCESS_TOKEN_TTL_SECONDS,
      refresh_token: refresh.token,
    };
  };

  app.post(
    '/register',
    {
      preHandler: [limitByIp],
      schema: {
        tags: ['auth'],
        summary: 'Create an account and its team (tenant); the user becomes the owner',
        body: RegisterBody,
        response: { 201: RegisterResponse, 400: ErrorResponse, 409: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { password, full_name } = request.body;
      const email = request.body.email.trim().toLowerCase();
      const tenantName = request.body.tenant_name?.trim() || `${full_name.trim()}'s team`;
      const { user, tenant } = await createAccount(pool, {
        email,
        passwordHash: await hashPassword(password),
        fullName: full_name.trim(),
        tenantName,
      });
      request.log.info({ user: user.id, tenant: tenant.id }, 'account registered');
      reply.code(201);
      return { user: { ...user, created_at: user.created_at.toISOString() }, tenant };
    },
  );

  app.post(
    '/login',
    {
      preHandler: [limitByIp, limitByAccount],
      schema: {
        tags: ['auth'],
        summary: 'Exchange e-mail and password for tokens (form `username=&password=` or JSON)',
        body: LoginBody,
        response: { 200: TokenResponse, 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request) => {
      const email = (request.body.username ?? request.body.email)?.trim().toLowerCase();
      if (!email) throw badRequest('body/username: required (the account e-mail)');
      const user = await findUserByEmail(pool, email);
      // Verify against a decoy when the account is unknown, so both failures take the same time.
      const ok = await verifyPassword(user?.password_hash ?? (await decoyHash()), request.body.password);
      if (!user || !ok) throw unauthorized(INVALID_LOGIN);
      return tokensFor(user);
    },
  );

  app.post(
    '/refresh',
    {
      preHandler: [limitByIp],
      schema: {
        tags: ['auth'],
        summary: 'Rotate a refresh token; reusing a rotated token revokes the whole session',
        body: RefreshBody,
        response: { 200: TokenResponse, 401: ErrorResponse },
      },
    },
    async (request) => {
      const result = await rotateRefreshToken(
        pool,
        request.body.refresh_token,
        config.REFRESH_TOKEN_TTL_DAYS,
      );
      if (!result.ok) {
        if (result.reason === 'reused') request.log.warn('refresh token reuse detected; session revoked');
        throw unauthorized('Invalid or expired refresh token');
      }
      const profile = await findUserById(pool, result.userId);
      if (!profile) throw unauthorized('Invalid or expired refresh token');
      return {
        access_token: app.signAccessToken(profile),
        token_type: 'bearer' as const,
        expires_in: config.ACCESS_TOKEN_TTL_SECONDS,
        refresh_token: result.token.token,
      };
    },
  );

  app.post(
    '/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke a refresh token and every token rotated from the same login',
        body: RefreshBody,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await revokeRefreshFamily(pool, request.body.refresh_token);
      reply.code(204);
    },
  );

  app.get(
    '/me',
    {
      onRequest: [app.authenticate],
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user and team',
        response: { 200: MeResponse, 401: ErrorResponse },
      },
    },
    async (request) => {
      const profile = await loadProfile(pool, request.auth.userId);
      return { ...profile, created_at: profile.created_at.toISOString() };
    },
  );
};

/** A per-minute limit on `key`; over it, 429 with Retry-After. Several limits can guard one route. */
function limiter(app: FastifyInstance, max: number, key: (req: FastifyRequest) => string) {
  const check = app.createRateLimit({ max, timeWindow: 60_000, keyGenerator: key });
  return async (request: FastifyRequest) => {
    const result = await check(request);
    if (!result.isAllowed && result.isExceeded) {
      throw new HttpError(429, 'rate_limited', `Too many attempts; try again in ${result.ttlInSeconds} s`, {
        'retry-after': String(result.ttlInSeconds),
      });
    }
  };
}

async function findUserById(pool: pg.Pool, id: string) {
  const { rows } = await pool.query<{ id: string; tenant_id: string }>(
    'SELECT id, tenant_id FROM users WHERE id = $1',
    [id],
  );
  return rows[0];
}

export default authRoutes;

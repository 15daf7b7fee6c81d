import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import { type AuthContext, loadAuthContext } from '../accounts/repository.js';
import { unauthorized } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for tenant-scoped routes: verifies the bearer token and sets `request.auth`. */
    authenticate(request: FastifyRequest): Promise<void>;
    signAccessToken(user: { id: string; tenant_id: string }): string;
  }
  interface FastifyRequest {
    auth: AuthContext;
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string; tid: string };
    user: { sub: string; tid: string; iat: number; exp: number };
  }
}

export interface AuthPluginOptions {
  secret: string;
  accessTokenTtlSeconds: number;
  pool: pg.Pool;
}

async function authPlugin(app: FastifyInstance, opts: AuthPluginOptions) {
  await app.register(fastifyJwt, {
    secret: opts.secret,
    // HS256 only: tokens signed with another algorithm, or with `alg: none`, are refused.
    sign: { algorithm: 'HS256', expiresIn: opts.accessTokenTtlSeconds },
    verify: { algorithms: ['HS256'] },
  });

  app.decorate('signAccessToken', (user: { id: string; tenant_id: string }) =>
    app.jwt.sign({ sub: user.id, tid: user.tenant_id }),
  );

  app.decorateRequest('auth', null as unknown as AuthContext);

  app.decorate('authenticate', async (request: FastifyRequest) => {
    if (!request.headers.authorization)
      throw unauthorized('Missing bearer token (Authorization: Bearer <access_token>)');
    let subject: string;
    try {
      subject = (await request.jwtVerify<{ sub: string }>()).sub;
    } catch {
      throw unauthorized('Invalid or expired access token');
    }
    // A token outlives nothing it names: a deleted user or tenant is refused at once.
    const auth = await loadAuthContext(opts.pool, subject);
    if (!auth) throw unauthorized('Invalid or expired access token');
    request.auth = auth;
    request.log = request.log.child({ tenant: auth.tenantId, user: auth.userId });
  });
}

export default fp(authPlugin, { name: 'docuchat-auth' });

import { type Static, Type } from 'typebox';

export const MIN_PASSWORD_LENGTH = 10;

export const RegisterBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 256 }),
    full_name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    tenant_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const Tenant = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
});

export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  full_name: Type.String(),
  role: Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]),
  created_at: Type.String(),
});

export const RegisterResponse = Type.Object({ user: User, tenant: Tenant });
export type RegisterResponse = Static<typeof RegisterResponse>;

/** The seed logs in with form fields `username` and `password` (OAuth2 password flow); JSON works too. */
export const LoginBody = Type.Object({
  username: Type.Optional(Type.String({ maxLength: 254 })),
  email: Type.Optional(Type.String({ maxLength: 254 })),
  password: Type.String({ minLength: 1, maxLength: 256 }),
});
export type LoginBody = Static<typeof LoginBody>;

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  refresh_token: Type.String(),
});
export type TokenResponse = Static<typeof TokenResponse>;

export const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 200 }) });
export type RefreshBody = Static<typeof RefreshBody>;

export const MeResponse = Type.Object({
  id: Type.String(),
  email: Type.String(),
  full_name: Type.String(),
  role: Type.String(),
  created_at: Type.String(),
  tenant: Type.Object({
    id: Type.String(),
    slug: Type.String(),
    name: Type.String(),
    discount_percent: Type.Number(),
    daily_token_budget: Type.Union([Type.Integer(), Type.Null()]),
  }),
});
export type MeResponse = Static<typeof MeResponse>;

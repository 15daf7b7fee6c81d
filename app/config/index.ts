import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PORT } from './http.js';

/** A configuration problem, reported as one readable line naming the variable and the expected form. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: `an integer between ${min} and ${max}` })
    .int({ error: `an integer between ${min} and ${max}` })
    .min(min, { error: `an integer between ${min} and ${max}` })
    .max(max, { error: `an integer between ${min} and ${max}` });

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { error: `a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}` },
  );

const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const empty = (v: unknown) => (v === '' ? undefined : v);

/** The most tenants the billing job bills at once (BILLING_CONCURRENCY, `--concurrency`). */
export const MAX_BILLING_CONCURRENCY = 64;

/** Every environment variable the application reads, with its embedded default. */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: int(0, 65535).default(DEFAULT_PORT),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('.docuchat'),
  PUBLIC_BASE_URL: url(['http', 'https']).optional(),
  CORS_ORIGINS: list.optional(),

  DATABASE_URL: url(['postgres', 'postgresql']).optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  EMBEDDED_DB_CACHE_MB: int(16, 4096).optional(),
  REDIS_URL: url(['redis', 'rediss']).optional(),

  JWT_SECRET: z.string().min(32, { error: 'a secret of at least 32 characters' }).optional(),
  ACCESS_TOKEN_TTL_SECONDS: int(30, 900).default(900),
  REFRESH_TOKEN_TTL_DAYS: int(1, 365).default(30),
  LOGIN_RATE_LIMIT_PER_MINUTE: int(1, 10_000).default(10),

  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: url(['http', 'https']).optional(),
  LLM_PROVIDER: z.enum(['auto', 'openai', 'local']).default('auto'),
  CHAT_MODELS: list.default(['gpt-4o', 'gpt-4o-mini']),
  LLM_TIMEOUT_MS: int(100, 600_000).default(30_000),
  EMBEDDING_MODEL: z.string().default('text-embedding-3-small'),
  EMBEDDING_DIMENSIONS: int(8, 3072).default(512),
  CIRCUIT_FAILURE_THRESHOLD: int(1, 1000).default(5),
  CIRCUIT_WINDOW_SECONDS: int(1, 86_400).default(60),
  CIRCUIT_COOLDOWN_SECONDS: int(1, 86_400).default(30),

  MAX_UPLOAD_BYTES: int(1, 1024 ** 3).default(25 * 1024 * 1024),
  /** Worker threads that index documents; unset: every core but one (at least 1, at most 8). */
  INGEST_THREADS: int(1, 64).optional(),
  INGEST_TIMEOUT_SECONDS: int(1, 3600).default(120),
  INGEST_MAX_ATTEMPTS: int(1, 100).default(3),
  INGEST_LEASE_SECONDS: int(3, 3600).default(15),
  CHUNK_TOKENS: int(32, 8192).default(512),
  CHUNK_OVERLAP_TOKENS: int(0, 4096).default(64),
  RETRIEVAL_TOP_K: int(1, 50).default(8),
  RETRIEVAL_MIN_SIMILARITY: z.coerce.number({ error: 'a number between 0 and 1' }).min(0).max(1).default(0.3),
  HISTORY_TOKEN_BUDGET: int(0, 100_000).default(2000),

  PRICE_PER_1K_TOKENS_TOMANS: z
    .string()
    .regex(/^\d+(\.\d{1,2})?$/, { error: 'a non-negative decimal with at most two places, e.g. 20 or 20.50' })
    .default('20'),
  BILLING_TIMEZONE: z
    .string()
    .refine(
      (tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      },
      { error: 'an IANA time zone such as Asia/Tehran' },
    )
    .default('Asia/Tehran'),
  /**
   * Tenants the billing job bills at the same time: their Zibal and SMTP waits overlap, and their database
   * writes are grouped, so this is also about how many rows one statement records.
   */
  BILLING_CONCURRENCY: int(1, MAX_BILLING_CONCURRENCY).default(32),
  ZIBAL_MERCHANT: z.string().optional(),
  ZIBAL_API_KEY: z.string().optional(),
  ZIBAL_BASE_URL: url(['http', 'https']).default('https://gateway.zibal.ir'),
  SMTP_URL: url(['smtp', 'smtps']).optional(),
  MAIL_FROM: z.string().default('DocuChat <billing@docuchat.local>'),
  PROMETHEUS_URL: url(['http', 'https']).optional(),
  RECONCILE_TOLERANCE_PERCENT: z.coerce.number({ error: 'a number' }).min(0).max(100).default(1),
  WEB_DIST_DIR: z.string().optional(),
  SERVE_WEB: bool.default(true),
});

type Raw = z.infer<typeof schema>;

export interface Config extends Omit<Raw, 'ZIBAL_API_KEY'> {
  /** Absolute data directory (PGlite data, generated JWT secret). */
  dataDir: string;
  /** Chat language provider actually used: OpenAI (or compatible) when a key or base URL is set. */
  llmProvider: 'openai' | 'local';
  publicBaseUrl: string;
}

/**
 * Reads the configuration from an environment. Throws {@link ConfigError} with one line naming the first
 * offending variable and the expected form.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, empty(env[k])]));
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0]);
    const got = env[key];
    const shown = /SECRET|KEY|PASSWORD|URL/.test(key) ? '' : ` (got ${JSON.stringify(got)})`;
    throw new ConfigError(`Invalid configuration: ${key} must be ${issue.message}${shown}`);
  }
  const raw = parsed.data;
  if (raw.NODE_ENV === 'production') {
    for (const key of ['JWT_SECRET', 'DATABASE_URL'] as const) {
      if (!raw[key])
        throw new ConfigError(`Invalid configuration: ${key} is required when NODE_ENV=production`);
    }
  }
  if (raw.CHUNK_OVERLAP_TOKENS >= raw.CHUNK_TOKENS) {
    throw new ConfigError('Invalid configuration: CHUNK_OVERLAP_TOKENS must be smaller than CHUNK_TOKENS');
  }
  if (raw.CHAT_MODELS.length === 0) {
    throw new ConfigError(
      'Invalid configuration: CHAT_MODELS must name at least one model, e.g. gpt-4o,gpt-4o-mini',
    );
  }
  const hasOpenAI = Boolean(raw.OPENAI_API_KEY || raw.OPENAI_BASE_URL);
  if (raw.LLM_PROVIDER === 'openai' && !hasOpenAI) {
    throw new ConfigError(
      'Invalid configuration: LLM_PROVIDER=openai needs OPENAI_API_KEY or OPENAI_BASE_URL',
    );
  }
  const { ZIBAL_API_KEY, ...rest } = raw;
  return {
    ...rest,
    // The seed calls the merchant id ZIBAL_API_KEY; ZIBAL_MERCHANT wins when both are set.
    ZIBAL_MERCHANT: raw.ZIBAL_MERCHANT ?? ZIBAL_API_KEY,
    dataDir: path.resolve(raw.DATA_DIR),
    llmProvider: raw.LLM_PROVIDER === 'local' ? 'local' : hasOpenAI ? 'openai' : 'local',
    publicBaseUrl: raw.PUBLIC_BASE_URL ?? `http://localhost:${raw.PORT || DEFAULT_PORT}`,
  };
}

/** Names of every variable {@link loadConfig} reads (the README and `.env.example` list them all). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

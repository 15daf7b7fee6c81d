/** The environment every benchmarked DocuChat server starts with: embedded defaults, production log level. */
export const BENCH_JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256';

/**
 * Nothing but what a deployment must set: the database pool, cache, models and limits are the product's
 * defaults, so the table measures what `npm start` runs. (Until 34773d9 the embedded database needed a pool of
 * one connection: see bench/repro/embedded-pool-interleaving.ts.)
 */
export function docuchatEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    JWT_SECRET: BENCH_JWT_SECRET,
    ...extra,
  };
}

/** The environment every benchmarked DocuChat server starts with: embedded defaults, production log level. */
export const BENCH_JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256';

/**
 * One pool connection to the embedded database. With more, pglite-socket interleaves the extended-protocol
 * messages of concurrent connections into PGlite's single session (electric-sql/pglite#1046): requests fail
 * with "unnamed prepared statement does not exist", get another request's rows, or the queue deadlocks.
 * `bench/repro/embedded-pool-interleaving.ts` reproduces it. PGlite runs one statement at a time whatever the
 * pool size, so one connection costs no throughput. Drop this once the product defaults to it.
 */
export const EMBEDDED_POOL_SIZE = '1';

export function docuchatEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    JWT_SECRET: BENCH_JWT_SECRET,
    DATABASE_POOL_SIZE: EMBEDDED_POOL_SIZE,
    ...extra,
  };
}

import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import { type Config, loadConfig } from '../config/index.js';
import { type Database, openDatabase } from '../db/index.js';
import { buildApp } from './app.js';
import { createCache } from './cache/index.js';
import { loggerOptions } from './logger.js';
import { createServerMetrics } from './metrics.js';
import { resolveJwtSecret } from './secrets.js';

export interface RunningDocuChat {
  /** Base URL, e.g. `http://127.0.0.1:8000`. */
  url: string;
  app: FastifyInstance;
  db: Database;
  config: Config;
  logger: pino.Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where logs go (default: stdout). Tests pass a stream to inspect them. */
  logStream?: DestinationStream;
}

/** Loads configuration, opens the database and cache, and serves the API. */
export async function startDocuChat(
  env: NodeJS.ProcessEnv = process.env,
  options: StartOptions = {},
): Promise<RunningDocuChat> {
  const config = loadConfig(env);
  const logger = pino(
    loggerOptions(config.LOG_LEVEL),
    options.logStream ?? pino.destination({ sync: false }),
  );
  const db = await openDatabase(config);
  const cache = createCache(config.REDIS_URL, logger);
  const metrics = createServerMetrics();
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp({
      config,
      db,
      cache,
      metrics,
      logger,
      jwtSecret: resolveJwtSecret(config.JWT_SECRET, config.dataDir, logger),
      llmHealth: () => 'ok',
    });
    app.addHook('onClose', async () => {
      await cache.close();
      await db.close();
    });
    await app.listen({ host: config.HOST, port: config.PORT });
  } catch (error) {
    await app?.close();
    await cache.close();
    await db.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const running = app;
  return { url: `http://${host}:${port}`, app: running, db, config, logger, close: () => running.close() };
}

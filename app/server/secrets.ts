import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

/**
 * The JWT signing secret: JWT_SECRET when set; otherwise one generated at first start and kept in the data
 * directory (mode 0600), so tokens survive restarts of a development instance. Production refuses to start
 * without JWT_SECRET (see loadConfig).
 */
export function resolveJwtSecret(configured: string | undefined, dataDir: string, log: Logger): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'jwt-secret');
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return stored;
  } catch {
    // first start
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  log.warn(
    { file },
    'JWT_SECRET is not set: generated one and stored it in the data directory (set JWT_SECRET in production)',
  );
  return secret;
}

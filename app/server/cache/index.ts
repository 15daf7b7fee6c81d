import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';

export type CacheHealth = 'ok' | 'degraded';

/**
 * A tenant-scoped cache. Every key is prefixed with the tenant, so one tenant can never read another's entry.
 * A cache failure is never a request failure: reads miss and writes are dropped.
 */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get(tenantId: string, key: string): Promise<string | undefined>;
  set(tenantId: string, key: string, value: string, ttlSeconds: number): Promise<void>;
  health(): CacheHealth;
  close(): Promise<void>;
}

export const cacheKey = (tenantId: string, key: string) => `docuchat:${tenantId}:${key}`;

export class MemoryCache implements Cache {
  readonly kind = 'memory';
  private readonly lru: LRUCache<string, string>;

  constructor(maxEntries = 10_000) {
    this.lru = new LRUCache({ max: maxEntries, ttlAutopurge: false });
  }

  async get(tenantId: string, key: string) {
    return this.lru.get(cacheKey(tenantId, key));
  }

  async set(tenantId: string, key: string, value: string, ttlSeconds: number) {
    this.lru.set(cacheKey(tenantId, key), value, { ttl: ttlSeconds * 1000 });
  }

  health(): CacheHealth {
    return 'ok';
  }

  async close() {
    this.lru.clear();
  }
}

export class RedisCache implements Cache {
  readonly kind = 'redis';
  readonly client: Redis;
  private up = false;
  private warned = false;

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    this.client = new Redis(url, {
      // Fail fast while Redis is away instead of queueing requests behind it; keep reconnecting in the background.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      commandTimeout: 500,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
      lazyConnect: false,
    });
    this.client.on('ready', () => {
      if (this.warned) this.log.info('Redis is reachable again; cache back in use');
      this.up = true;
      this.warned = false;
    });
    this.client.on('error', (error) => this.down(error));
    this.client.on('end', () => this.down());
    this.client.on('close', () => this.down());
  }

  private down(error?: Error) {
    this.up = false;
    if (!this.warned) {
      this.warned = true;
      this.log.warn({ err: error?.message }, 'Redis unavailable; serving without cache until it returns');
    }
  }

  async get(tenantId: string, key: string) {
    if (!this.up) return undefined;
    try {
      return (await this.client.get(cacheKey(tenantId, key))) ?? undefined;
    } catch (error) {
      this.down(error as Error);
      return undefined;
    }
  }

  async set(tenantId: string, key: string, value: string, ttlSeconds: number) {
    if (!this.up) return;
    try {
      await this.client.set(cacheKey(tenantId, key), value, 'EX', ttlSeconds);
    } catch (error) {
      this.down(error as Error);
    }
  }

  health(): CacheHealth {
    return this.up ? 'ok' : 'degraded';
  }

  async close() {
    this.client.disconnect();
  }
}

export function createCache(redisUrl: string | undefined, log: Logger): Cache {
  return redisUrl ? new RedisCache(redisUrl, log) : new MemoryCache();
}

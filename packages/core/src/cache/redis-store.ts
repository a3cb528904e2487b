import { readFileSync } from 'node:fs';
import { BackplaneError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import type { RedisConnection } from '../redis/connection.js';
import { scanKeys, unlinkKeys } from '../redis/keyspace.js';
import { cacheKeys, type CacheKeys } from './keys.js';
import type { CacheStore } from './store.js';

export interface RedisCacheStoreOptions {
  /** Prefix of every key, shared with the rest of backplane. @default 'bp' */
  keyPrefix?: string;
  /** Keys per SCAN step (on each master of a cluster) and per UNLINK batch when deleting by prefix. @default 500 */
  scanCount?: number;
}

/** Resolved from src/cache and dist/cache alike: both sit two levels under packages/core. */
const RELEASE_LEASE_LUA = readFileSync(new URL('../../lua/cache/release-lease-1.lua', import.meta.url), 'utf8');
const RELEASE_LEASE_COMMAND = 'backplaneCacheReleaseLease';

interface LeaseCommands {
  [RELEASE_LEASE_COMMAND](leaseKey: string, token: string): Promise<number>;
}

/**
 * The shared L2 on Redis. Reads of many keys are separate GETs that the client auto-pipelines into one
 * round trip, which (unlike MGET) stays valid when keys fall in different Cluster slots. Every failure
 * rejects with a redacted `E_REDIS_UNAVAILABLE`; the cache above decides to fail open. Every command
 * names one key, so the store works unchanged on a Redis Cluster; only the prefix scan has to visit each
 * master (see `deleteByPrefix`).
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis' as const;
  private readonly connection: RedisConnection;
  private readonly redis: RedisClient;
  private readonly keys: CacheKeys;
  private readonly scanCount: number;
  private closed = false;

  constructor(connection: RedisConnection, options: RedisCacheStoreOptions = {}) {
    this.connection = connection;
    this.redis = connection.redis;
    this.keys = cacheKeys(options.keyPrefix ?? 'bp');
    this.scanCount = options.scanCount ?? 500;
    // The connection's client is shared by every component; define the script once on it.
    if (!(RELEASE_LEASE_COMMAND in this.redis)) {
      this.redis.defineCommand(RELEASE_LEASE_COMMAND, { numberOfKeys: 1, lua: RELEASE_LEASE_LUA });
    }
  }

  /** The hot read: one promise chain, no async wrapper, since every cache hit in L2 comes through here. */
  get(key: string): Promise<Buffer | undefined> {
    if (this.closed) return Promise.reject(new BackplaneError('E_CLOSED', 'redis cache store is closed'));
    return this.redis.getBuffer(this.keys.entry(key)).then(nullToUndefined, this.fail);
  }

  getMany(keys: readonly string[]): Promise<Array<Buffer | undefined>> {
    return this.run(async () => {
      const values = await Promise.all(keys.map((key) => this.redis.getBuffer(this.keys.entry(key))));
      return values.map((value) => value ?? undefined);
    });
  }

  set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    return this.run(async () => {
      await this.redis.set(this.keys.entry(key), value, 'PX', Math.max(1, Math.round(ttlMs)));
    });
  }

  delete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0);
    return this.run(async () => {
      const counts = await Promise.all(keys.map((key) => this.redis.unlink(this.keys.entry(key))));
      return counts.reduce((sum, count) => sum + count, 0);
    });
  }

  has(key: string): Promise<boolean> {
    return this.run(async () => (await this.redis.exists(this.keys.entry(key))) === 1);
  }

  expire(key: string, ttlMs: number): Promise<boolean> {
    return this.run(async () => (await this.redis.pexpire(this.keys.entry(key), Math.max(1, Math.round(ttlMs)))) === 1);
  }

  ttl(key: string): Promise<number | undefined> {
    return this.run(async () => {
      const remaining = await this.redis.pttl(this.keys.entry(key));
      // -2: no such key. -1 cannot happen for our keys (always written with PX) but reads as absent expiry.
      if (remaining === -2) return undefined;
      return remaining < 0 ? Number.POSITIVE_INFINITY : remaining;
    });
  }

  /**
   * SCAN + UNLINK in batches, never KEYS: a large keyspace does not block the server. On a cluster the
   * scan runs on every master and each key is unlinked on its own (auto-pipelined), so no command spans
   * slots. It costs a walk of the whole keyspace of every master, whatever the prefix matches.
   */
  deleteByPrefix(prefix: string): Promise<number> {
    return this.run(async () => {
      let removed = 0;
      for await (const found of scanKeys(this.redis, this.keys.match(prefix), this.scanCount)) {
        removed += await unlinkKeys(this.redis, found);
      }
      return removed;
    });
  }

  tag(key: string, tags: readonly string[], ttlMs: number): Promise<void> {
    if (tags.length === 0) return Promise.resolve();
    const ttl = Math.max(1, Math.round(ttlMs));
    return this.run(async () => {
      // NX gives a new index an expiry, GT only ever lengthens it: the index outlives every entry it names.
      await Promise.all(
        tags.flatMap((tag) => {
          const indexKey = this.keys.tag(tag);
          return [
            this.redis.sadd(indexKey, key),
            this.redis.pexpire(indexKey, ttl, 'NX'),
            this.redis.pexpire(indexKey, ttl, 'GT'),
          ];
        }),
      );
    });
  }

  deleteByTags(tags: readonly string[]): Promise<string[]> {
    if (tags.length === 0) return Promise.resolve([]);
    return this.run(async () => {
      const indexKeys = tags.map((tag) => this.keys.tag(tag));
      const members = await Promise.all(indexKeys.map((indexKey) => this.redis.smembers(indexKey)));
      const named = [...new Set(members.flat())];
      // One UNLINK per key, auto-pipelined: valid when keys fall in different Cluster slots.
      await Promise.all([
        ...named.map((key) => this.redis.unlink(this.keys.entry(key))),
        ...indexKeys.map((k) => this.redis.unlink(k)),
      ]);
      return named;
    });
  }

  acquireLease(key: string, token: string, ttlMs: number): Promise<boolean> {
    return this.run(
      async () =>
        (await this.redis.set(this.keys.lease(key), token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')) === 'OK',
    );
  }

  releaseLease(key: string, token: string): Promise<boolean> {
    return this.run(async () => {
      const commands = this.redis as unknown as LeaseCommands;
      return (await commands[RELEASE_LEASE_COMMAND](this.keys.lease(key), token)) === 1;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private readonly fail = (error: unknown): never => {
    throw this.connection.unavailable(error);
  };

  private async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new BackplaneError('E_CLOSED', 'redis cache store is closed');
    try {
      return await operation();
    } catch (error) {
      throw this.connection.unavailable(error);
    }
  }
}

function nullToUndefined(value: Buffer | null): Buffer | undefined {
  return value ?? undefined;
}

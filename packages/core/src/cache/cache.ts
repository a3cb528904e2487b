import { BackplaneError, InvalidArgumentError } from '../errors.js';
import { toMilliseconds } from '../util/duration.js';
import type { CircuitState } from './breaker.js';
import type { CacheEngine, CacheEvents } from './engine.js';
import {
  assertKey,
  resolveEntryOptions,
  type CacheEntryOptions,
  type Loader,
  type ResolvedEntryOptions,
} from './options.js';
import type { CacheStats } from './stats.js';

/** What a cache and its namespaces share: the engine, the stats, the lifecycle. */
export interface CacheShared {
  engine: CacheEngine;
  stats(): CacheStats;
  close(): Promise<void>;
  isClosed(): boolean;
  circuit(): CircuitState;
  on(event: 'circuit', listener: (...args: CacheEvents['circuit']) => void): void;
  off(event: 'circuit', listener: (...args: CacheEvents['circuit']) => void): void;
}

/**
 * A two-tier cache (in-process L1, shared L2), or one namespace of it. Every call fails open: Redis
 * down or slow never rejects a call; only bad arguments, a failing loader (with no stale value to
 * answer) and calls after `close()` do.
 */
export class Cache {
  /** The key prefix of this namespace (`''` for the root cache), ending in `:` when set. */
  readonly prefix: string;
  private readonly shared: CacheShared;
  private readonly defaults: ResolvedEntryOptions;

  constructor(shared: CacheShared, prefix: string, defaults: ResolvedEntryOptions) {
    this.shared = shared;
    this.prefix = prefix;
    this.defaults = defaults;
  }

  /**
   * The cached value of `key`, or the loader's (run once per key in this process however many callers
   * wait, and stored in both tiers).
   * @example const user = await cache.getOrSet(`user:${id}`, () => db.users.find(id), { ttl: '10m', tags: [`user:${id}`] })
   */
  getOrSet<T>(key: string, loader: Loader<T>, options?: CacheEntryOptions<T>): Promise<T> {
    // No async wrapper on the hottest call: the checks run synchronously and become a rejection.
    try {
      if (this.shared.isClosed()) throw new BackplaneError('E_CLOSED', 'the cache is closed');
      assertKey(key);
      if (typeof loader !== 'function') throw new InvalidArgumentError('loader', 'must be a function', loader);
      const resolved = this.options(options);
      return this.shared.engine.getOrSet(this.prefix + key, key, loader, resolved) as Promise<T>;
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Resolves once the invalidation bus is subscribed (at once without a bus). */
  async ready(timeoutMs = 2_000): Promise<void> {
    await this.shared.engine.bus?.ready(timeoutMs);
  }

  /** A fresh value, or `undefined` when absent, expired or failing the schema. */
  get<T>(key: string, options?: Pick<CacheEntryOptions<T>, 'schema'>): Promise<T | undefined> {
    return this.call(async () => {
      assertKey(key);
      return (await this.shared.engine.get(this.prefix + key, this.options(options))) as T | undefined;
    });
  }

  /** Stores a value in both tiers and tells other processes to drop their copy. */
  set<T>(key: string, value: T, options?: CacheEntryOptions<T>): Promise<void> {
    return this.call(async () => {
      assertKey(key);
      await this.shared.engine.set(this.prefix + key, value, this.options(options));
    });
  }

  /** Removes keys from both tiers and from every process's L1. */
  delete(...keys: string[]): Promise<void> {
    return this.call(async () => {
      if (keys.length === 0) throw new InvalidArgumentError('keys', 'must name at least one key');
      keys.forEach((key, index) => assertKey(key, `keys[${index}]`));
      await this.shared.engine.delete(keys.map((key) => this.prefix + key));
    });
  }

  /** Whether a fresh value is cached. */
  has(key: string): Promise<boolean> {
    return this.call(async () => {
      assertKey(key);
      return await this.shared.engine.has(this.prefix + key);
    });
  }

  /** Gives an existing entry a new fresh lifetime; `false` when there is none. */
  expire(key: string, ttl: CacheEntryOptions['stale']): Promise<boolean> {
    return this.call(async () => {
      assertKey(key);
      const ms = toMilliseconds(ttl, 'ttl');
      if (ms <= 0) throw new InvalidArgumentError('ttl', 'must be more than 0 ms', ttl);
      return await this.shared.engine.expire(this.prefix + key, ms);
    });
  }

  /** Removes every entry carrying any of `tags`, in every tier and process. */
  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.call(async () => {
      if (!Array.isArray(tags) || tags.length === 0 || !tags.every((tag) => typeof tag === 'string' && tag !== '')) {
        throw new InvalidArgumentError('tags', 'must be a non-empty array of non-empty strings', tags);
      }
      await this.shared.engine.deleteByTags(tags);
    });
  }

  /**
   * Removes every entry whose key starts with `prefix` (SCAN + UNLINK on Redis, never KEYS). The prefix
   * is literal: `*` and `?` are not wildcards.
   */
  invalidatePrefix(prefix: string): Promise<void> {
    return this.call(async () => {
      assertKey(prefix, 'prefix');
      await this.shared.engine.deleteByPrefix(this.prefix + prefix);
    });
  }

  /** Removes every entry of this namespace (all entries, for the root cache). */
  clear(): Promise<void> {
    return this.call(() => this.shared.engine.deleteByPrefix(this.prefix));
  }

  /**
   * A view whose keys live under `name:` with its own defaults over this cache's.
   * @example const messages = cache.namespace('chat:messages', { ttl: '1h' })
   */
  namespace(name: string, defaults?: CacheEntryOptions): Cache {
    assertKey(name, 'name');
    return new Cache(this.shared, `${this.prefix}${name}:`, resolveEntryOptions(this.defaults, defaults, 'defaults'));
  }

  /** Counters, latency percentiles and the circuit state of the whole cache (namespaces included). */
  stats(): CacheStats {
    return this.shared.stats();
  }

  get circuit(): CircuitState {
    return this.shared.circuit();
  }

  /** `circuit`: the L2 circuit breaker opened, went half-open or closed. */
  on(event: 'circuit', listener: (...args: CacheEvents['circuit']) => void): this {
    this.shared.on(event, listener);
    return this;
  }

  off(event: 'circuit', listener: (...args: CacheEvents['circuit']) => void): this {
    this.shared.off(event, listener);
    return this;
  }

  /** Idempotent; closes the whole cache, whichever namespace it is called on. */
  close(): Promise<void> {
    return this.shared.close();
  }

  private options<T>(
    options: CacheEntryOptions<T> | Pick<CacheEntryOptions<T>, 'schema'> | undefined,
  ): ResolvedEntryOptions {
    // The value type only matters to the caller; the engine sees unknown values.
    return options === undefined
      ? this.defaults
      : resolveEntryOptions(this.defaults, options as CacheEntryOptions<unknown>);
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    if (this.shared.isClosed()) throw new BackplaneError('E_CLOSED', 'the cache is closed');
    return await run();
  }
}

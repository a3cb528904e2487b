import { EventEmitter } from 'node:events';
import type { Registry } from 'prom-client';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { RedisConnection } from '../redis/connection.js';
import { toMilliseconds, type Duration } from '../util/duration.js';
import { CircuitBreaker } from './breaker.js';
import { InvalidationBus } from './bus.js';
import { Cache, type CacheShared } from './cache.js';
import { CacheEngine, type CacheEvents } from './engine.js';
import { cacheKeys } from './keys.js';
import { L1Tier, type L1Options } from './l1.js';
import { MemoryCacheStore, type MemoryCacheStoreOptions } from './memory-store.js';
import { BUILT_IN_DEFAULTS, resolveEntryOptions, type CacheEntryOptions } from './options.js';
import { RedisCacheStore } from './redis-store.js';
import { CacheCounters, registerCacheMetrics } from './stats.js';
import type { CacheStore } from './store.js';

export interface CreateCacheOptions extends CacheEntryOptions<unknown> {
  /** Redis for the L2 and the invalidation bus; without it the L2 is in memory and there is no bus. */
  connection?: RedisConnection;
  /** Prefix of every Redis key. @default 'bp' */
  keyPrefix?: string;
  logger?: Logger;
  /** Registers the cache's metrics here (prom-client). */
  metrics?: Registry;
  /** The `cache` label of the metrics, to tell several caches apart. @default 'default' */
  name?: string;
  /** The in-process tier, or `false` for none. @default { maxEntries: 10_000, maxBytes: 64 MiB } */
  l1?: false | L1Options;
  /**
   * The shared tier, or `false` for none: a store of your own, or options of the built-in one
   * (Redis with `connection`, memory otherwise).
   * @default {}
   */
  l2?: false | CacheStore | MemoryCacheStoreOptions;
  /** Keep every process's L1 coherent over Redis pub/sub. Needs `connection`. @default true */
  bus?: boolean;
  /** Values whose encoding reaches this many bytes are deflated; `false` never. @default 16_384 */
  compressAbove?: number | false;
  /** L2 circuit breaker. */
  circuitBreaker?: {
    /** Consecutive L2 failures that open it. @default 5 */
    failureThreshold?: number;
    /** How long it stays open before one probe. @default '2s' */
    openDuration?: Duration;
  };
}

/**
 * Builds a two-tier cache: Redis L2 + invalidation bus when `connection` is given, a memory L2
 * otherwise. `close()` is idempotent and never closes the connection, which belongs to the caller.
 * @example const cache = createCache({ connection, ttl: '5m', stale: '1m' })
 */
export function createCache(options: CreateCacheOptions = {}): Cache {
  const logger = (options.logger ?? silentLogger()).child({ component: 'cache' });
  const keyPrefix = options.keyPrefix ?? 'bp';
  if (typeof keyPrefix !== 'string' || keyPrefix === '') {
    throw new InvalidArgumentError('keyPrefix', 'must be a non-empty string', keyPrefix);
  }
  const { connection } = options;
  const defaults = resolveEntryOptions(BUILT_IN_DEFAULTS, options, 'options');
  const compressAbove = options.compressAbove === false ? Number.POSITIVE_INFINITY : (options.compressAbove ?? 16_384);
  if (!(compressAbove > 0))
    throw new InvalidArgumentError('compressAbove', 'must be a positive number of bytes or false', compressAbove);

  const counters = new CacheCounters();
  const events = new EventEmitter<CacheEvents>();
  const l1 = options.l1 === false ? undefined : new L1Tier(options.l1 ?? {}, () => counters.evictions++);
  const l2 = buildL2(options, connection, keyPrefix);
  const openMs = toMilliseconds(options.circuitBreaker?.openDuration ?? 2_000, 'circuitBreaker.openDuration');
  const breaker = new CircuitBreaker(
    { failureThreshold: options.circuitBreaker?.failureThreshold ?? 5, openMs },
    (state, previous) => {
      logger[state === 'open' ? 'warn' : 'info']({ state, previous }, `cache circuit ${state}`);
      events.emit('circuit', state, previous);
    },
  );
  const engine = new CacheEngine({ l1, l2, breaker, counters, logger, compressAbove, events });
  if (connection && l1 && l2 && options.bus !== false) {
    engine.bus = new InvalidationBus(
      connection,
      cacheKeys(keyPrefix).busChannel,
      {
        onMessage: (message) => {
          if ('keys' in message) for (const key of message.keys) l1.delete(key);
          else if ('prefix' in message) l1.deleteByPrefix(message.prefix);
          else l1.deleteByTags(message.tags);
        },
        onReconnect: () => {
          // Invalidations sent while we were away are lost: nothing in the L1 can be trusted.
          logger.warn('cache bus reconnected; flushing the L1');
          l1.clear();
        },
      },
      logger,
    );
  }

  let closed = false;
  const stats = () => counters.snapshot({ entries: l1?.entries ?? 0, bytes: l1?.bytes ?? 0 }, breaker.state);
  const shared: CacheShared = {
    engine,
    stats,
    isClosed: () => closed,
    circuit: () => breaker.state,
    on: (event, listener) => void events.on(event, listener),
    off: (event, listener) => void events.off(event, listener),
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.allSettled([engine.bus?.close(), ownsL2(options.l2) ? l2?.close() : undefined]);
      l1?.clear();
      events.removeAllListeners();
    },
  };
  if (options.metrics) registerCacheMetrics(options.metrics, options.name ?? 'default', stats);
  return new Cache(shared, '', defaults);
}

/** Waits until the cache's bus is subscribed (no-op without one), so a process sees invalidations. */
export async function cacheReady(cache: Cache, timeoutMs = 2_000): Promise<void> {
  await cache.ready(timeoutMs);
}

function buildL2(
  options: CreateCacheOptions,
  connection: RedisConnection | undefined,
  keyPrefix: string,
): CacheStore | undefined {
  if (options.l2 === false) return undefined;
  if (options.l2 !== undefined && isStore(options.l2)) return options.l2;
  if (connection) return new RedisCacheStore(connection, { keyPrefix });
  return new MemoryCacheStore(options.l2 ?? {});
}

/** A store passed in belongs to the caller, who closes it. */
function ownsL2(l2: CreateCacheOptions['l2']): boolean {
  return l2 === undefined || (l2 !== false && !isStore(l2));
}

function isStore(value: CacheStore | MemoryCacheStoreOptions): value is CacheStore {
  return typeof (value as CacheStore).get === 'function';
}

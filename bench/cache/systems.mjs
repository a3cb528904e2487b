// One adapter per system: build(mode, url, extra) -> { getOrSet(key, loader), close() }.
// mode: 'l1l2' (in-process tier + Redis) or 'l2' (Redis only). Every system gets a 1 h ttl.
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { CacheableMemory } from 'cacheable';

const HOUR = 3_600_000;

/** Only the cache's modules, so a half-built other component in dist/ cannot break the bench. */
async function loadCore() {
  const [{ RedisConnection }, cache] = await Promise.all([
    import('../../packages/core/dist/redis/connection.js'),
    import('../../packages/core/dist/cache/index.js'),
  ]);
  return { RedisConnection, ...cache };
}

/** The same budgets backplane's own client has, where a peer lets us pass ioredis options. */
function ioredisOptions(url) {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port), maxRetriesPerRequest: 0, commandTimeout: 500 };
}

export async function build(system, mode, url, { lease = false } = {}) {
  if (system === 'backplane') {
    const core = await loadCore();
    const connection = new core.RedisConnection({ name: 'cache', url });
    await connection.connect();
    await connection.waitUntilUp();
    const cache = core.createCache({
      connection,
      keyPrefix: 'bench',
      ttl: HOUR,
      lease,
      l1: mode === 'l1l2' ? { maxEntries: 10_000 } : false,
    });
    await core.cacheReady(cache);
    return {
      getOrSet: (key, loader) => cache.getOrSet(key, loader),
      close: async () => {
        await cache.close();
        await connection.close();
      },
    };
  }
  if (system === 'bentocache') {
    let store = bentostore();
    if (mode === 'l1l2') store = store.useL1Layer(memoryDriver({ maxItems: 10_000 }));
    store = store.useL2Layer(redisDriver({ connection: ioredisOptions(url) }));
    const bento = new BentoCache({ default: 'cache', stores: { cache: store } });
    return {
      getOrSet: (key, loader) => bento.getOrSet({ key, factory: loader, ttl: HOUR }),
      close: () => bento.disconnectAll(),
    };
  }
  if (system === 'cache-manager') {
    const redis = new Keyv({ store: new KeyvRedis(url), useKeyPrefix: false });
    const stores =
      mode === 'l1l2' ? [new Keyv({ store: new CacheableMemory({ ttl: HOUR, lruSize: 10_000 }) }), redis] : [redis];
    const cache = createCacheManager({ stores });
    return {
      getOrSet: (key, loader) => cache.wrap(key, loader, HOUR),
      close: () => cache.disconnect(),
    };
  }
  if (system === 'raw') {
    // The ceiling for an L2 read: backplane's own auto-pipelined ioredis client, one GET, JSON.parse.
    const core = await loadCore();
    const connection = new core.RedisConnection({ name: 'raw', url });
    await connection.connect();
    await connection.waitUntilUp();
    const redis = connection.client;
    return {
      getOrSet: async (key, loader) => {
        const text = await redis.get(key);
        if (text !== null) return JSON.parse(text);
        const value = await loader();
        await redis.set(key, JSON.stringify(value), 'PX', HOUR);
        return value;
      },
      close: () => connection.close(),
    };
  }
  throw new Error(`unknown system ${system}`);
}

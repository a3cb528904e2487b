import { randomUUID } from 'node:crypto';
import { RedisConnection } from '../redis/connection.js';
import { runCacheStoreSuite } from '../testing/cache-store-suite.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { MemoryCacheStore } from './memory-store.js';
import { RedisCacheStore } from './redis-store.js';

runCacheStoreSuite('memory', { create: async () => new MemoryCacheStore() });

let redis: RedisServerHandle | undefined;
let connection: RedisConnection | undefined;
runCacheStoreSuite('redis', {
  skip: redisSkipReason(),
  create: async () => {
    redis ??= await startRedisServer();
    if (!connection) {
      connection = new RedisConnection({ name: 'cache', url: redis.url });
      await connection.connect();
      await connection.waitUntilUp();
    }
    return new RedisCacheStore(connection, { keyPrefix: `t-${randomUUID()}`, scanCount: 100 });
  },
  teardown: async () => {
    await connection?.close();
    await redis?.stop();
  },
});

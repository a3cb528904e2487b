import { randomUUID } from 'node:crypto';
import { RedisConnection } from '../../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js';
import { runScheduleStoreSuite } from '../../testing/schedule-store-suite.js';
import { MemoryScheduleStore } from './memory-store.js';
import { RedisScheduleStore } from './redis-store.js';

runScheduleStoreSuite('memory', { create: async () => new MemoryScheduleStore() });

let redis: RedisServerHandle | undefined;
let connection: RedisConnection | undefined;
runScheduleStoreSuite('redis', {
  skip: redisSkipReason(),
  create: async () => {
    redis ??= await startRedisServer();
    if (!connection) {
      connection = new RedisConnection({ name: 'jobs', url: redis.url });
      await connection.connect();
      await connection.waitUntilUp();
    }
    return new RedisScheduleStore(connection, { keyPrefix: `t-${randomUUID()}` });
  },
  teardown: async () => {
    await connection?.close();
    await redis?.stop();
  },
});

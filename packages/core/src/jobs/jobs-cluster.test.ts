import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { RedisConnection } from '../redis/connection.js';
import { runJobsSuite } from '../testing/jobs-suite.js';
import { redisClusterSkipReason, startRedisCluster, type RedisClusterHandle } from '../testing/redis-cluster.js';
import { createJobs } from './jobs.js';

/**
 * The whole jobs conformance suite on a real cluster of three masters (redis+cluster://). Each test
 * uses queues of its own, so their hash tags spread over the masters: the scripts, the hand-off to idle
 * workers (inbox and idle keys built inside Lua under the queue's tag) and the blocking waits must all
 * stay in one slot per queue.
 */
const skip = redisClusterSkipReason();
let cluster: RedisClusterHandle | undefined;
const connections: RedisConnection[] = [];

after(async () => {
  await Promise.allSettled(connections.map((connection) => connection.close()));
  await cluster?.stop();
});

runJobsSuite('redis cluster (3 masters)', {
  skip,
  create: async (options) => {
    cluster ??= await startRedisCluster();
    const connection = new RedisConnection({ name: 'jobs', url: cluster.url, autoPipelining: false });
    connections.push(connection);
    await connection.connect();
    await connection.waitUntilUp();
    return createJobs({ ...options, connection, keyPrefix: `t-${randomUUID().slice(0, 8)}` });
  },
});

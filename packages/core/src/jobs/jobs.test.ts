import { after, before } from 'node:test';
import { RedisConnection } from '../redis/connection.js';
import { runJobsSuite } from '../testing/jobs-suite.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { createJobs } from './jobs.js';

runJobsSuite('memory', { create: async (options) => createJobs(options) });

const skip = redisSkipReason();
let server: RedisServerHandle | undefined;
const connections: RedisConnection[] = [];

before(async () => {
  if (!skip) server = await startRedisServer({ args: ['--maxmemory-policy', 'noeviction'] });
});

after(async () => {
  await Promise.allSettled(connections.map((connection) => connection.close()));
  await server?.stop();
});

runJobsSuite('redis', {
  skip,
  create: async (options) => {
    const connection = new RedisConnection({ name: 'jobs', url: (server as RedisServerHandle).url });
    connections.push(connection);
    await connection.connect();
    await connection.waitUntilUp();
    return createJobs({ ...options, connection, keyPrefix: 'test' });
  },
});

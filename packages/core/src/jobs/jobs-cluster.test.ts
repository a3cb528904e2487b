import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
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

describe('waitForResult on a Redis Cluster whose subscriber connection is cut', { skip: skip ?? false }, () => {
  it('tells the waiter about a job that ended while the node stayed up and the subscription was gone', async () => {
    // A cluster of its own: refusing new connections below must not reach the clients of other tests.
    const own = await startRedisCluster();
    const connection = new RedisConnection({ name: 'jobs', url: own.url, autoPipelining: false });
    await connection.connect();
    await connection.waitUntilUp();
    const jobs = createJobs({ connection, keyPrefix: `t-${randomUUID().slice(0, 8)}` });
    jobs.defineTask('later', async () => 'ran', { queue: 'cut' });
    const admins = own.nodes.map((node) => new Redis({ host: node.host, port: node.port }));
    for (const admin of admins) admin.on('error', () => undefined);
    try {
      // No worker: the job ends by a cancel over the connection already open, so nothing else needs a
      // new connection while they are refused below.
      const id = await jobs.enqueue('later', null, { delay: '1h' });
      const outcome = jobs.waitForResult(id, { timeout: 4000 }).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      const subscribersOn = async (admin: Redis): Promise<number> => {
        const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).trim();
        return list === '' ? 0 : list.split('\n').length;
      };
      await until(async () => (await Promise.all(admins.map(subscribersOn))).some((count) => count > 0));
      // Cut every subscriber while its node stays up and refuse new connections (maxclients at the count
      // left) until the job has ended: its final message is lost for sure, and only a re-check once the
      // subscription is back can tell the waiter.
      await Promise.all(
        admins.map(async (admin) => {
          const connected = Number(/connected_clients:(\d+)/.exec(await admin.info('clients'))?.[1]);
          await admin.config('SET', 'maxclients', String(connected - (await subscribersOn(admin))));
          await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
        }),
      );
      assert.equal(await jobs.cancel(id), 'cancelled');
      await Promise.all(admins.map((admin) => admin.config('SET', 'maxclients', '10000')));
      assert.equal(((await outcome) as Error).name, 'JobFailedError', 'the waiter learnt of the cancel');
    } finally {
      await Promise.all(admins.map((admin) => admin.config('SET', 'maxclients', '10000').catch(() => undefined)));
      for (const admin of admins) admin.disconnect();
      await jobs.close();
      await connection.close();
      await own.stop();
    }
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, 'condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { Redis, type Cluster } from 'ioredis';
import { RedisConnection } from '../redis/connection.js';
import { redisClusterSkipReason, startRedisCluster, type RedisClusterHandle } from '../testing/redis-cluster.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { runSessionStoreSuite } from '../testing/sessions-suite.js';
import { sessionKeys } from './keys.js';
import { createSessionStore } from './session-store.js';

/**
 * The whole conformance suite on a redis-server in cluster mode that owns all 16384 slots: such a node
 * refuses any command or script whose keys span slots (CROSSSLOT), so passing here shows every command
 * the store sends stays within one slot.
 */
let redis: RedisServerHandle | undefined;
let connection: RedisConnection | undefined;

async function clusterNode(): Promise<RedisServerHandle> {
  const server = await startRedisServer({ args: ['--cluster-enabled', 'yes'] });
  const admin = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  try {
    await admin.connect();
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    for (let i = 0; i < 100; i += 1) {
      const info = (await admin.call('CLUSTER', 'INFO')) as string;
      if (info.includes('cluster_state:ok')) return server;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('cluster node did not reach cluster_state:ok');
  } finally {
    admin.disconnect();
  }
}

runSessionStoreSuite('redis cluster mode (CROSSSLOT would fail)', {
  skip: redisSkipReason(),
  create: async (options) => {
    redis ??= await clusterNode();
    if (!connection) {
      connection = new RedisConnection({ name: 'sessions', url: redis.url });
      await connection.connect();
      await connection.waitUntilUp();
    }
    return createSessionStore({ ...options, connection, keyPrefix: `t-${randomUUID()}` });
  },
  teardown: async () => {
    await connection?.close();
    await redis?.stop();
  },
});

it(
  'the cluster node really refuses keys of different slots (the suite above is a real check)',
  { skip: redisSkipReason() },
  async () => {
    const server = await clusterNode();
    const client = new Redis({ host: server.host, port: server.port });
    try {
      await assert.rejects(client.call('MGET', 'a', 'b'), /CROSSSLOT/);
    } finally {
      client.disconnect();
      await server.stop();
    }
  },
);

/**
 * The suite again on a real cluster of three masters through a Cluster client (redis+cluster://): each
 * master's SCAN sees only its own keys, so `all`, `count` and `clear` pass only if they visit every one.
 */
const clusterSkip = redisClusterSkipReason();
let realCluster: RedisClusterHandle | undefined;
let clusterConnection: RedisConnection | undefined;

async function clusterConnect(): Promise<RedisConnection> {
  realCluster ??= await startRedisCluster();
  if (!clusterConnection) {
    clusterConnection = new RedisConnection({ name: 'sessions', url: realCluster.url });
    await clusterConnection.connect();
    await clusterConnection.waitUntilUp();
  }
  return clusterConnection;
}

runSessionStoreSuite('redis cluster (3 masters)', {
  skip: clusterSkip,
  create: async (options) =>
    createSessionStore({ ...options, connection: await clusterConnect(), keyPrefix: `t-${randomUUID()}` }),
  teardown: async () => {
    await clusterConnection?.close();
    await realCluster?.stop();
  },
});

it('counts, lists and clears sessions that sit on all three masters', { skip: clusterSkip }, async () => {
  const own = await startRedisCluster();
  const connection = new RedisConnection({ name: 'sessions', url: own.url });
  const keyPrefix = `t-${randomUUID()}`;
  const store = createSessionStore({ connection, keyPrefix });
  try {
    await connection.connect();
    await connection.waitUntilUp();
    await Promise.all(Array.from({ length: 60 }, (_, i) => store.create({ i }, { userId: `user-${i % 7}` })));
    const perMaster = async (): Promise<number[]> =>
      Promise.all(
        (connection.redis as Cluster).nodes('master').map(async (node) => {
          let cursor = '0';
          let count = 0;
          do {
            const [next, keys] = await node.scan(cursor, 'MATCH', sessionKeys(keyPrefix).sessionPattern, 'COUNT', 1000);
            cursor = next;
            count += keys.length;
          } while (cursor !== '0');
          return count;
        }),
      );
    const before = await perMaster();
    assert.equal(before.length, 3);
    assert.ok(
      before.every((count) => count > 0),
      `sessions on every master (${before.join(', ')})`,
    );
    assert.equal(await store.count(), 60);
    assert.equal((await store.all()).length, 60);
    assert.equal(await store.clear(), 60);
    assert.deepEqual(await perMaster(), [0, 0, 0]);
    assert.equal(await store.count(), 0);
    assert.deepEqual(await store.listByUser('user-3'), []);
  } finally {
    await store.close();
    await connection.close();
    await own.stop();
  }
});

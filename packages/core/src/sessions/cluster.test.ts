import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { runSessionStoreSuite } from '../testing/sessions-suite.js';
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

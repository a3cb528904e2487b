import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { runSessionStoreSuite } from '../testing/sessions-suite.js';
import { createSessionStore } from './session-store.js';

runSessionStoreSuite('memory', { create: async (options) => createSessionStore(options) });

let redis: RedisServerHandle | undefined;
let connection: RedisConnection | undefined;

/** One private server and connection for every Redis test of this file. */
async function sharedConnection(): Promise<RedisConnection> {
  redis ??= await startRedisServer();
  if (!connection) {
    connection = new RedisConnection({ name: 'sessions', url: redis.url });
    await connection.connect();
    await connection.waitUntilUp();
  }
  return connection;
}
runSessionStoreSuite('redis', {
  skip: redisSkipReason(),
  create: async (options) => {
    const connection = await sharedConnection();
    return createSessionStore({ ...options, connection, keyPrefix: `t-${randomUUID()}` });
  },
});

runSessionStoreSuite('redis with memory-fallback (Redis up)', {
  skip: redisSkipReason(),
  create: async (options) => {
    const connection = await sharedConnection();
    return createSessionStore({
      ...options,
      connection,
      keyPrefix: `t-${randomUUID()}`,
      onRedisDown: 'memory-fallback',
    });
  },
});

describe('redis store across processes', { skip: redisSkipReason() }, () => {
  it('caps touch at the absolute lifetime for a session another process created (script path)', async () => {
    const connection = await sharedConnection();
    const keyPrefix = `t-${randomUUID()}`;
    const creator = createSessionStore({ connection, keyPrefix, idleTimeout: '1h', absoluteLifetime: 500 });
    const other = createSessionStore({ connection, keyPrefix, idleTimeout: '1h', absoluteLifetime: 500 });
    try {
      const { id, absoluteExpiresAt } = await creator.create({ k: 1 });
      const expiresAt = await other.touch(id);
      assert.ok(expiresAt !== undefined && expiresAt <= absoluteExpiresAt);
      await new Promise((resolve) => setTimeout(resolve, 650));
      assert.equal(await other.touch(id), undefined);
      assert.equal(await creator.touch(id), undefined);
      assert.equal(await other.get(id), undefined);
    } finally {
      await creator.close();
      await other.close();
    }
  });
});

// The server and connection are shared by the suites above; node:test runs a file's top-level after() last.
after(async () => {
  await connection?.close();
  await redis?.stop();
});

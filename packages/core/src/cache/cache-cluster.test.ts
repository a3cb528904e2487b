import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis, type Cluster } from 'ioredis';
import { RedisConnection } from '../redis/connection.js';
import { redisClusterSkipReason, startRedisCluster, type RedisClusterHandle } from '../testing/redis-cluster.js';
import { runCacheStoreSuite } from '../testing/cache-store-suite.js';
import type { Cache } from './cache.js';
import { cacheReady, createCache } from './create-cache.js';
import { escapeGlob } from './keys.js';
import { RedisCacheStore } from './redis-store.js';

/**
 * The cache on a real Redis Cluster of three masters. A master refuses keys of slots it does not serve
 * and any multi-key command across slots (CROSSSLOT), and each master's SCAN sees only its own keys: so
 * the invalidation tests below check that keys sit on every master before, and on none after.
 */
const skip = redisClusterSkipReason();
let cluster: RedisClusterHandle | undefined;
const connections: RedisConnection[] = [];

async function connect(): Promise<RedisConnection> {
  cluster ??= await startRedisCluster();
  const connection = new RedisConnection({ name: 'cache', url: cluster.url });
  connections.push(connection);
  await connection.connect();
  await connection.waitUntilUp();
  return connection;
}

/** How many keys matching `pattern` each master holds, read by each master's own SCAN. */
async function keysPerMaster(connection: RedisConnection, pattern: string): Promise<number[]> {
  const masters = (connection.redis as Cluster).nodes('master');
  return Promise.all(
    masters.map(async (node) => {
      let cursor = '0';
      let count = 0;
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        count += keys.length;
      } while (cursor !== '0');
      return count;
    }),
  );
}

function onEveryMaster(counts: number[], what: string): void {
  assert.equal(counts.length, 3, 'the cluster has three masters');
  assert.ok(
    counts.every((count) => count > 0),
    `${what} sit on every master (${counts.join(', ')})`,
  );
}

const entries = (keyPrefix: string, prefix = ''): string => `${escapeGlob(`${keyPrefix}:cache:${prefix}`)}*`;

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`not within 5 s: ${what}`);
}

runCacheStoreSuite('redis cluster (3 masters)', {
  skip,
  create: async () => {
    const connection = connections[0] ?? (await connect());
    return new RedisCacheStore(connection, { keyPrefix: `t-${randomUUID()}`, scanCount: 100 });
  },
});

describe('cache on a 3-master Redis Cluster', { skip: skip ?? false }, () => {
  const caches: Cache[] = [];
  const cacheOn = (connection: RedisConnection, keyPrefix: string): Cache => {
    const cache = createCache({ connection, keyPrefix, ttl: '1h' });
    caches.push(cache);
    return cache;
  };

  after(async () => {
    await Promise.allSettled(caches.map((cache) => cache.close()));
  });

  it('reports the connection as a cluster, with INFO per master', async () => {
    const connection = await connect();
    assert.equal(connection.cluster, true);
    assert.equal(connection.status().availability, 'up');
    assert.match(connection.status().target, /^redis\+cluster:\/\/127\.0\.0\.1:\d+,/);
    const info = await connection.info();
    assert.equal(info.mode, 'cluster');
    assert.equal(info.nodes?.length, 3);
    assert.ok(info.nodes?.every((node) => node.mode === 'cluster'));
  });

  it('invalidates a prefix on every master, and only under that prefix', async () => {
    const connection = await connect();
    const keyPrefix = `t-${randomUUID()}`;
    const cache = cacheOn(connection, keyPrefix);
    await Promise.all(Array.from({ length: 300 }, (_, i) => cache.set(`report:${i}`, { i })));
    await Promise.all(Array.from({ length: 60 }, (_, i) => cache.set(`other:${i}`, i)));
    onEveryMaster(await keysPerMaster(connection, entries(keyPrefix, 'report:')), 'the report entries');

    await cache.invalidatePrefix('report:');

    assert.deepEqual(await keysPerMaster(connection, entries(keyPrefix, 'report:')), [0, 0, 0]);
    assert.equal(await cache.get('report:7'), undefined);
    onEveryMaster(await keysPerMaster(connection, entries(keyPrefix, 'other:')), 'the other entries');
    assert.equal(await cache.get('other:7'), 7);
  });

  it('clears one namespace on every master, then the whole cache', async () => {
    const connection = await connect();
    const keyPrefix = `t-${randomUUID()}`;
    const cache = cacheOn(connection, keyPrefix);
    const sessions = cache.namespace('chat:sessions');
    const messages = cache.namespace('chat:messages');
    await Promise.all(Array.from({ length: 200 }, (_, i) => sessions.set(`user-${i}`, { i })));
    await Promise.all(Array.from({ length: 200 }, (_, i) => messages.set(`m-${i}`, `text ${i}`)));
    onEveryMaster(await keysPerMaster(connection, entries(keyPrefix, 'chat:sessions:')), 'the session entries');

    await sessions.clear();

    assert.deepEqual(await keysPerMaster(connection, entries(keyPrefix, 'chat:sessions:')), [0, 0, 0]);
    onEveryMaster(await keysPerMaster(connection, entries(keyPrefix, 'chat:messages:')), 'the message entries');
    assert.equal(await messages.get('m-3'), 'text 3');

    await cache.clear();
    assert.deepEqual(await keysPerMaster(connection, entries(keyPrefix)), [0, 0, 0]);
    assert.equal(await messages.get('m-3'), undefined);
  });

  it('invalidates by tag entries that sit on every master', async () => {
    const connection = await connect();
    const keyPrefix = `t-${randomUUID()}`;
    const cache = cacheOn(connection, keyPrefix);
    await Promise.all(Array.from({ length: 150 }, (_, i) => cache.set(`job:${i}`, i, { tags: ['jobs', `job-${i}`] })));
    await Promise.all(Array.from({ length: 30 }, (_, i) => cache.set(`user:${i}`, i, { tags: ['users'] })));
    onEveryMaster(await keysPerMaster(connection, entries(keyPrefix, 'job:')), 'the tagged entries');

    await cache.invalidateTags(['jobs']);

    assert.deepEqual(await keysPerMaster(connection, entries(keyPrefix, 'job:')), [0, 0, 0]);
    assert.equal(await cache.get('user:4'), 4, 'entries of another tag stay');
    await cache.invalidateTags(['users', 'job-3']);
    assert.deepEqual(await keysPerMaster(connection, entries(keyPrefix)), [0, 0, 0]);
  });

  it('keeps the L1 of two caches on separate cluster connections coherent over the bus', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const a = cacheOn(await connect(), keyPrefix);
    const b = cacheOn(await connect(), keyPrefix);
    await Promise.all([cacheReady(a), cacheReady(b)]);

    await a.set('greeting', 'v1');
    assert.equal(await b.get('greeting'), 'v1', 'b now holds v1 in its L1');
    await a.set('greeting', 'v2');
    await until(async () => (await b.get('greeting')) === 'v2', 'the overwrite reached b');

    await a.set('report:1', 'r1', { tags: ['reports'] });
    await a.set('report:2', 'r2');
    assert.equal(await b.get('report:1'), 'r1');
    assert.equal(await b.get('report:2'), 'r2');
    // Without the bus, b would keep answering these from its L1 after the L2 copies are gone.
    await a.invalidateTags(['reports']);
    await until(async () => (await b.get('report:1')) === undefined, 'the tag invalidation reached b');
    await a.invalidatePrefix('report:');
    await until(async () => (await b.get('report:2')) === undefined, 'the prefix invalidation reached b');

    await b.set('other', 'x');
    assert.equal(await a.get('other'), 'x');
    await b.clear();
    await until(async () => (await a.get('other')) === undefined, 'the clear reached a');
  });
});

describe('cache bus on a Redis Cluster whose subscription breaks', { skip: skip ?? false }, () => {
  it('flushes the L1 as suspect when its subscriber connection was cut while the node stayed up', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const cache = createCache({ connection: await connect(), keyPrefix, ttl: '1h' });
    const other = createCache({ connection: await connect(), keyPrefix, ttl: '1h' });
    const admins = (cluster as RedisClusterHandle).nodes.map((node) => new Redis({ host: node.host, port: node.port }));
    try {
      await Promise.all([cacheReady(cache), cacheReady(other)]);
      await cache.set('a', 1);
      await cache.set('b', 2);
      assert.equal(cache.stats().l1.entries, 2);
      // Every pubsub connection of the cluster: the bus's, and those of other tests' caches still open.
      await Promise.all(admins.map((admin) => admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')));
      await until(async () => cache.stats().l1.entries === 0, 'the L1 was flushed');
      // And the bus works again: another process's write reaches this L1.
      await cache.set('c', 'v1');
      assert.equal(await cache.get('c'), 'v1');
      await other.set('c', 'v2');
      await until(async () => (await cache.get('c')) === 'v2', 'the overwrite reached the L1 after the break');
    } finally {
      for (const admin of admins) admin.disconnect();
      await Promise.all([cache.close(), other.close()]);
    }
  });

  it('flushes the L1 as suspect once the bus subscribed again on another master', async () => {
    const own = await startRedisCluster();
    const connection = new RedisConnection({ name: 'cache', url: own.url });
    const cache = createCache({ connection, keyPrefix: `t-${randomUUID()}`, ttl: '1h' });
    const admins = own.nodes.map((node) => new Redis({ host: node.host, port: node.port, lazyConnect: true }));
    for (const admin of admins) admin.on('error', () => undefined);
    try {
      await connection.connect();
      await connection.waitUntilUp();
      await cacheReady(cache);
      await cache.set('a', 1);
      await cache.set('b', 2);
      assert.equal(cache.stats().l1.entries, 2);
      const subscribers = await Promise.all(
        admins.map(async (admin) => ((await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string).trim() !== ''),
      );
      const victim = own.nodes[subscribers.indexOf(true)];
      assert.ok(victim, 'one node holds the bus subscription');
      await victim.kill();

      await until(async () => cache.stats().l1.entries === 0, 'the L1 was flushed');
    } finally {
      for (const admin of admins) admin.disconnect();
      await cache.close();
      await connection.close();
      await own.stop();
    }
  });
});

// The cluster and connections are shared by the suites above; node:test runs a file's top-level after() last.
after(async () => {
  await Promise.allSettled(connections.map((connection) => connection.close()));
  await cluster?.stop();
});

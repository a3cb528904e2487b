import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { isBackplaneError } from '../errors.js';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { createSessionStore } from './session-store.js';
import type { SessionStore } from './types.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A bound far above the budgets (500 ms per command) that only a hanging call would pass. */
const HANG_MS = 3000;

/** Settles `promise` and reports how long it took; fails the test when it takes longer than HANG_MS. */
async function bounded<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  const started = Date.now();
  const [result] = await Promise.allSettled([promise]);
  assert.ok(Date.now() - started < HANG_MS, `call took ${Date.now() - started} ms`);
  return result;
}

function assertUnavailable(result: PromiseSettledResult<unknown>, what: string): void {
  assert.equal(result.status, 'rejected', `${what} should fail closed`);
  const reason = result.reason as unknown;
  assert.ok(isBackplaneError(reason) && reason.code === 'E_REDIS_UNAVAILABLE', `${what}: ${String(reason)}`);
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe('sessions when Redis is down', { skip: redisSkipReason() }, () => {
  let redis: RedisServerHandle;
  let connection: RedisConnection;
  const stores: SessionStore[] = [];
  const open = (options: Parameters<typeof createSessionStore>[0]): SessionStore => {
    const store = createSessionStore({ connection, keyPrefix: `t-${randomUUID()}`, ...options });
    stores.push(store);
    return store;
  };

  before(async () => {
    // appendonly + a graceful stop keep the data across stop()/start(), as a Redis restart would.
    redis = await startRedisServer({ args: ['--appendonly', 'yes', '--enable-debug-command', 'yes'] });
    connection = new RedisConnection({ name: 'sessions', url: redis.url, probeIntervalMs: 100 });
    await connection.connect();
    await connection.waitUntilUp();
  });

  after(async () => {
    await Promise.allSettled(stores.map((store) => store.close()));
    await connection.close();
    await redis.stop();
  });

  it('fail-closed: every operation rejects with E_REDIS_UNAVAILABLE, quickly, then recovers', async () => {
    const store = open({ onRedisDown: 'fail-closed' });
    const { id } = await store.create({ a: 1 }, { userId: 'u' });
    await redis.kill();
    await waitFor(() => connection.availability === 'down');
    const calls: Array<[string, Promise<unknown>]> = [
      ['create', store.create({})],
      ['get', store.get(id)],
      ['set', store.set(id, {})],
      ['update', store.update(id, { b: 2 })],
      ['updateIf', store.updateIf(id, 1, { b: 2 })],
      ['touch', store.touch(id)],
      ['destroy', store.destroy(id)],
      ['regenerate', store.regenerate(id)],
      ['listByUser', store.listByUser('u')],
      ['destroyAllForUser', store.destroyAllForUser('u')],
      ['count', store.count()],
      ['all', store.all()],
      ['clear', store.clear()],
    ];
    for (const [what, call] of calls) assertUnavailable(await bounded(call), what);
    const stats = await bounded(store.stats());
    assert.equal(stats.status, 'fulfilled', 'stats never fail');
    assert.equal((stats as PromiseFulfilledResult<{ active: number | null }>).value.active, null);

    await redis.start();
    await connection.waitUntilUp(5000);
    const fresh = await store.create({ back: true });
    assert.deepEqual((await store.get(fresh.id))?.data, { back: true });
  });

  it('fail-closed: a Redis that stops answering costs the command budget, not a hang', async () => {
    const store = open({ onRedisDown: 'fail-closed' });
    const { id } = await store.create({ a: 1 });
    const blocker = new Redis({ host: redis.host, port: redis.port });
    try {
      void blocker.call('DEBUG', 'SLEEP', '3').catch(() => undefined);
      // On a loaded machine the DEBUG command may take a moment to reach the server: retry until a call
      // meets the frozen server, each call still bounded.
      let frozen: PromiseSettledResult<unknown> | undefined;
      for (let attempt = 0; attempt < 20 && frozen?.status !== 'rejected'; attempt += 1) {
        await sleep(50);
        frozen = await bounded(store.get(id));
      }
      assertUnavailable(frozen ?? { status: 'fulfilled', value: undefined }, 'get during DEBUG SLEEP');
      assertUnavailable(await bounded(store.touch(id)), 'touch during DEBUG SLEEP');
    } finally {
      await sleep(3000);
      blocker.disconnect();
    }
    await connection.waitUntilUp(5000);
    assert.ok(await store.get(id));
  });

  it('memory-fallback: serves from memory during the outage, hands back and replays destroys after', async () => {
    const metrics = new Registry();
    const prefix = `t-${randomUUID()}`;
    const store = open({ onRedisDown: 'memory-fallback', keyPrefix: prefix, metrics });
    const observer = open({ onRedisDown: 'fail-closed', keyPrefix: prefix });
    const kept = await store.create({ who: 'kept' }, { userId: 'alice' });
    const destroyedOne = await store.create({ who: 'destroyed' }, { userId: 'bob' });
    const carols = await store.create({ who: 'carol' }, { userId: 'carol' });

    await redis.stop();
    await waitFor(() => connection.availability === 'down');
    const during = await bounded(store.create({ who: 'outage' }, { userId: 'alice' }));
    assert.equal(during.status, 'fulfilled');
    const outage = during.value;
    assert.ok(await store.update(outage.id, { step: 2 }));
    assert.ok((await store.touch(outage.id)) !== undefined);
    assert.deepEqual((await store.get(outage.id))?.data, { who: 'outage', step: 2 });
    assert.equal(await store.get(kept.id), undefined, 'sessions in Redis are out of reach during the outage');
    assert.equal(await store.destroy(destroyedOne.id), false);
    assert.equal(await store.destroyAllForUser('carol'), 0);
    assert.deepEqual(
      (await store.listByUser('alice')).map((s) => s.id),
      [outage.id],
    );
    assert.equal((await store.stats()).fallbackActive, true);
    assert.match(await metrics.metrics(), /backplane_sessions_fallback_active 1/);

    await redis.start();
    await connection.waitUntilUp(5000);
    // The first read after recovery hands the outage's session back to Redis, where others see it.
    assert.deepEqual((await store.get(outage.id))?.data, { who: 'outage', step: 2 });
    assert.deepEqual((await observer.get(outage.id))?.data, { who: 'outage', step: 2 });
    assert.deepEqual((await store.get(kept.id))?.data, { who: 'kept' });
    assert.equal((await store.stats()).fallbackActive, false);
    // Destroys made during the outage are replayed: a logout is not undone by Redis coming back.
    await waitFor(async () => (await observer.get(destroyedOne.id)) === undefined);
    await waitFor(async () => (await observer.get(carols.id)) === undefined);
    assert.equal(await store.get(destroyedOne.id), undefined);
    assert.deepEqual((await observer.listByUser('alice')).map((s) => s.id).sort(), [kept.id, outage.id].sort());
  });
});

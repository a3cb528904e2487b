import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer } from '../testing/redis-server.js';
import { createSessionStore } from './session-store.js';

function metricValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('session metrics and options', () => {
  it('exports creates, destroys, touches, updates, regenerates and active sessions', async () => {
    const registry = new Registry();
    const store = createSessionStore({ metrics: registry });
    const [a, b] = await Promise.all([store.create({}), store.create({}, { userId: 'u' })]);
    await store.touch(a.id);
    await store.touch(a.id);
    await store.touch('x'.repeat(32));
    await store.update(a.id, { k: 1 });
    await store.regenerate(a.id);
    await store.destroyAllForUser('u');
    const text = await registry.metrics();
    assert.equal(metricValue(text, 'backplane_sessions_created_total'), 2);
    assert.equal(metricValue(text, 'backplane_sessions_touched_total'), 2, 'a touch that found nothing does not count');
    assert.equal(metricValue(text, 'backplane_sessions_updated_total'), 1);
    assert.equal(metricValue(text, 'backplane_sessions_regenerated_total'), 1);
    assert.equal(metricValue(text, 'backplane_sessions_destroyed_total'), 1);
    assert.equal(metricValue(text, 'backplane_sessions_active'), 1);
    assert.equal(metricValue(text, 'backplane_sessions_fallback_active'), 0);
    assert.ok(b.id);
    assert.doesNotMatch(text, new RegExp(a.id), 'no ids in metrics');
    assert.throws(() => createSessionStore({ metrics: registry }), { code: 'E_INVALID_ARGUMENT' });
    await store.close();
    const again = createSessionStore({ metrics: registry });
    await again.close();
  });

  it(
    'counts active sessions on Redis with SCAN, reusing the count for activeCountInterval',
    { skip: redisSkipReason() },
    async () => {
      const redis = await startRedisServer();
      const connection = new RedisConnection({ name: 'sessions', url: redis.url });
      try {
        await connection.connect();
        await connection.waitUntilUp();
        const store = createSessionStore({ connection, keyPrefix: `t-${randomUUID()}`, activeCountInterval: '1h' });
        // In batches: thousands of calls at once can outlast the 500 ms command budget on a loaded machine.
        for (let batch = 0; batch < 25; batch += 1)
          await Promise.all(Array.from({ length: 100 }, () => store.create({ x: 1 })));
        assert.equal((await store.stats()).active, 2500);
        await store.create({});
        assert.equal((await store.stats()).active, 2500, 'cached until the interval passes');
        assert.equal(await store.count(), 2501);
        await store.close();
      } finally {
        await connection.close();
        await redis.stop();
      }
    },
  );

  it('rejects bad options with E_INVALID_ARGUMENT naming the option', () => {
    const bad: Array<[string, Parameters<typeof createSessionStore>[0]]> = [
      ['idleTimeout', { idleTimeout: -1 }],
      ['idleTimeout', { idleTimeout: 0 }],
      ['absoluteLifetime', { absoluteLifetime: 'forever' as '1h' }],
      ['maxBytes', { maxBytes: 0 }],
      ['maxBytes', { maxBytes: 1.5 }],
      ['onRedisDown', { onRedisDown: 'ignore' as 'fail-closed' }],
      ['keyPrefix', { keyPrefix: '' }],
    ];
    for (const [argument, options] of bad) {
      assert.throws(() => createSessionStore(options), { code: 'E_INVALID_ARGUMENT', argument });
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { freePort, redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { RedisConnection } from './connection.js';
import { Subscription } from './subscription.js';

const skip = redisSkipReason();

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Subscriber connections of one purpose, by the name backplane gives them. */
async function subscribers(admin: Redis, purpose: string): Promise<number> {
  const list = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
  return list.split('\n').filter((line) => line.includes(`name=backplane:test:${purpose} `)).length;
}

describe('Subscription', { skip }, () => {
  let server: RedisServerHandle;
  let connection: RedisConnection;
  let admin: Redis;

  before(async () => {
    server = await startRedisServer();
    connection = new RedisConnection({ name: 'test', url: server.url });
    await connection.connect();
    await connection.waitUntilUp();
    admin = new Redis(server.url);
  });

  after(async () => {
    admin.disconnect();
    await connection.close();
    await server.stop();
  });

  it('delivers messages, and reports a break once it is subscribed again, not before', async () => {
    const received: string[] = [];
    let gaps = 0;
    let subscribedAtGap = -1;
    const subscription = new Subscription(connection, 'gap', ['ch:a', 'ch:b'], {
      onMessage: (channel, message) => received.push(`${channel}=${message}`),
      onGap: () => {
        gaps += 1;
        // Synchronously here: is the new connection subscribed already? (numsub counts it then)
        void admin.call('PUBSUB', 'NUMSUB', 'ch:a').then((reply) => {
          subscribedAtGap = Number((reply as [string, number])[1]);
        });
      },
    });
    try {
      await subscription.subscribed();
      assert.equal(gaps, 0, 'the first subscription is no break');
      await admin.publish('ch:a', '1');
      await admin.publish('ch:b', '2');
      await until(() => received.length === 2, 'both messages arrived');

      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      // Published while nobody listens: lost, and the reason for the gap report.
      await admin.publish('ch:a', 'lost');
      await until(() => gaps === 1, 'the break was reported');
      await until(() => subscribedAtGap !== -1, 'numsub read');
      assert.equal(subscribedAtGap, 1, 'the report came once the channels were subscribed again');
      assert.equal(subscription.listening, true);
      await admin.publish('ch:b', '3');
      await until(() => received.includes('ch:b=3'), 'a message after the break arrived');
      assert.deepEqual(received, ['ch:a=1', 'ch:b=2', 'ch:b=3']);
      assert.equal(gaps, 1);
    } finally {
      subscription.close();
    }
  });

  it('stops for good on close: no connection left, none made again', async () => {
    const subscription = new Subscription(connection, 'closing', ['ch:c'], {
      onMessage: () => undefined,
      onGap: () => undefined,
    });
    await subscription.subscribed();
    assert.equal(await subscribers(admin, 'closing'), 1);
    // Cut first, so a retry is pending when close() comes.
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    subscription.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await subscribers(admin, 'closing'), 0);
    assert.equal(subscription.listening, false);
  });

  it('rejects `subscribed` with E_REDIS_UNAVAILABLE while Redis cannot be reached, and keeps trying', async () => {
    const port = await freePort();
    const down = new RedisConnection({ name: 'test', url: `redis://127.0.0.1:${port}` });
    const subscription = new Subscription(down, 'nowhere', ['ch:d'], {
      onMessage: () => undefined,
      onGap: () => undefined,
    });
    let late: RedisServerHandle | undefined;
    try {
      await assert.rejects(subscription.subscribed(300), { code: 'E_REDIS_UNAVAILABLE' });
      assert.equal(subscription.listening, false);
      late = await startRedisServer({ port });
      await subscription.subscribed(5_000);
      assert.equal(subscription.listening, true);
    } finally {
      subscription.close();
      await down.close();
      await late?.stop();
    }
  });
});

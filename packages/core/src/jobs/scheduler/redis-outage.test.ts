import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BackplaneError } from '../../errors.js';
import { RedisConnection } from '../../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js';
import { createJobScheduler } from './index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('job scheduler while Redis goes away', { skip: redisSkipReason() }, () => {
  let redis: RedisServerHandle;
  let connection: RedisConnection;

  before(async () => {
    redis = await startRedisServer();
    connection = new RedisConnection({ name: 'jobs', url: redis.url, commandTimeoutMs: 300 });
    await connection.connect();
    await connection.waitUntilUp();
  });

  after(async () => {
    await connection.close();
    await redis.stop();
  });

  it('rejects calls with E_REDIS_UNAVAILABLE, keeps its loop alive, and runs again once Redis is back', async () => {
    const runs: string[] = [];
    const scheduler = createJobScheduler({
      connection,
      tickMs: 50,
      enqueue: async (_task, _data, options) => {
        runs.push(options.idempotencyKey);
        return 'job';
      },
    });
    await scheduler.schedule({ id: 'fast', task: 't', every: 100 });
    scheduler.start();
    await sleep(350);
    assert.ok(runs.length >= 1, 'ran before the outage');

    await redis.kill();
    await assert.rejects(
      scheduler.list(),
      (error: unknown) => error instanceof BackplaneError && error.code === 'E_REDIS_UNAVAILABLE',
    );
    await sleep(300);

    // The server comes back empty (no persistence): the app declares its schedules again.
    await redis.start();
    await connection.waitUntilUp(10_000);
    const before = runs.length;
    await scheduler.schedule({ id: 'fast', task: 't', every: 100 });
    await sleep(500);
    assert.ok(runs.length > before, 'the background loop did not resume after the outage');
    assert.equal(new Set(runs).size, runs.length);
    await scheduler.close();
  });
});

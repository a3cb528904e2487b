import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { createJobs } from './jobs.js';

const skip = redisSkipReason();

describe('enqueue while Redis is down', { skip }, () => {
  let server: RedisServerHandle;
  let connection: RedisConnection;

  before(async () => {
    server = await startRedisServer();
    connection = new RedisConnection({ name: 'jobs', url: server.url, probeIntervalMs: 100 });
    await connection.connect();
    await connection.waitUntilUp();
  });

  after(async () => {
    await connection.close();
    await server.stop();
  });

  it("'reject' throws E_REDIS_UNAVAILABLE (HTTP 503) and 'spool' keeps jobs in order until Redis returns", async () => {
    const rejecting = createJobs({ connection, keyPrefix: 'r' });
    const spooling = createJobs({ connection, keyPrefix: 's', enqueuePolicy: 'spool', spoolSize: 3 });
    for (const jobs of [rejecting, spooling]) jobs.defineTask('mail', async () => null);
    try {
      await server.stop();
      await assert.rejects(rejecting.enqueue('mail', { to: 'a' }), (error: { code: string; status: number }) => {
        assert.equal(error.code, 'E_REDIS_UNAVAILABLE');
        assert.equal(error.status, 503);
        return true;
      });
      const ids = [];
      for (const to of ['a', 'b', 'c']) ids.push(await spooling.enqueue('mail', { to }));
      assert.equal((await spooling.getJob(ids[0] as string))?.state, 'spooled');
      await assert.rejects(spooling.enqueue('mail', { to: 'd' }), { code: 'E_JOB_SPOOL_FULL' });
      // Bad input is still refused at once, spool or not.
      await assert.rejects(spooling.enqueue('mail', null, { priority: -1 }), { code: 'E_INVALID_ARGUMENT' });

      await server.start();
      await connection.waitUntilUp(10_000);
      const deadline = Date.now() + 10_000;
      while ((await spooling.getJob(ids[2] as string))?.state !== 'waiting') {
        assert.ok(Date.now() < deadline, 'the spool was not flushed');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const waiting = await spooling.listJobs({ state: 'waiting' });
      assert.deepEqual(
        waiting.jobs.map((job) => job.id),
        ids,
      );
      assert.deepEqual(
        waiting.jobs.map((job) => (job.data as { to: string }).to),
        ['a', 'b', 'c'],
      );
      assert.equal((await spooling.counts()).spooled, 0);
    } finally {
      await rejecting.close();
      await spooling.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { createJobs } from './jobs.js';

const skip = redisSkipReason();

/** Calls of one command since the last CONFIG RESETSTAT (`INFO commandstats`). */
async function calls(connection: RedisConnection, command: string): Promise<number> {
  const info = await connection.client.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, 'condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('waitForResult on Redis', { skip }, () => {
  let server: RedisServerHandle;
  let connection: RedisConnection;

  before(async () => {
    server = await startRedisServer();
    connection = new RedisConnection({ name: 'jobs', url: server.url });
    await connection.connect();
    await connection.waitUntilUp();
  });

  after(async () => {
    await connection.close();
    await server.stop();
  });

  it('wakes on final events only: no read of the queue event stream per event', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'w1' });
    jobs.defineTask('double', async (n: number) => n * 2, { queue: 'w1' });
    const worker = jobs.createWorker({ queues: ['w1'], concurrency: 4 });
    try {
      await worker.start();
      await connection.client.config('RESETSTAT');
      for (let n = 0; n < 20; n++) {
        assert.equal(await jobs.waitForResult(await jobs.enqueue('double', n), { timeout: 5000 }), n * 2);
      }
      const failing = jobs.defineTask(
        'boom',
        async () => {
          throw new Error('boom');
        },
        { queue: 'w1' },
      );
      await assert.rejects(jobs.waitForResult(await failing.enqueue(null), { timeout: 5000 }), {
        code: 'E_JOB_FAILED',
      });
      assert.equal(await calls(connection, 'xread'), 0);
      // The stream still has every event, for SSE readers that resume.
      const id = await jobs.enqueue('double', 5);
      const events = [];
      for await (const event of jobs.events(id, { lastEventId: '0' })) events.push(event.type);
      assert.deepEqual(events, ['waiting', 'active', 'completed']);
    } finally {
      await worker.close({ graceMs: 0 });
      await jobs.close();
    }
  });

  it('tells a waiter about a job that finished while its subscription was cut', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'w2' });
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    jobs.defineTask(
      'gated',
      async () => {
        await gate;
        return 'done';
      },
      { queue: 'w2' },
    );
    const worker = jobs.createWorker({ queues: ['w2'] });
    try {
      await worker.start();
      const id = await jobs.enqueue('gated', null);
      const result = jobs.waitForResult(id, { timeout: 4000 });
      await until(async () => (await jobs.getJob(id))?.state === 'active');
      await until(async () => {
        const reply = (await connection.client.call('PUBSUB', 'NUMSUB', 'w2:j:{w2}:j:done')) as [string, number];
        return Number(reply[1]) > 0;
      });
      // Cut the subscriber, and finish the job before it can subscribe again: the message is lost.
      await connection.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      open();
      assert.equal(await result, 'done');
    } finally {
      await worker.close({ graceMs: 0 });
      await jobs.close();
    }
  });

  it('a worker whose finish found the queue empty waits for the marker without another claim', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'w3' });
    jobs.defineTask('one', async (n: number) => n, { queue: 'w3' });
    const worker = jobs.createWorker({ queues: ['w3'], concurrency: 1, maintenance: '1h', lease: '1h' });
    try {
      await worker.start();
      assert.equal(await jobs.waitForResult(await jobs.enqueue('one', 0), { timeout: 5000 }), 0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await connection.client.config('RESETSTAT');
      for (let n = 1; n <= 5; n++) {
        assert.equal(await jobs.waitForResult(await jobs.enqueue('one', n), { timeout: 5000 }), n);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Per job: add, claim (woken by the marker), finish (which finds the queue empty). Nothing else.
      assert.equal(await calls(connection, 'evalsha'), 15);
    } finally {
      await worker.close({ graceMs: 0 });
      await jobs.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RedisConnection } from '../redis/connection.js';
import { privateRedisConnection } from '../testing/private-redis-connection.js';
import { redisSkipReason } from '../testing/redis-server.js';
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
  let connection: RedisConnection;
  privateRedisConnection((opened) => (connection = opened));

  /** Reads of job outcomes and event streams sent by clients from now on (MONITOR; scripts' own calls left out). */
  async function watchReads(): Promise<{ count: () => Promise<Record<string, number>>; stop: () => Promise<void> }> {
    const monitor = await connection.client.duplicate().monitor();
    const seen: Record<string, number> = {};
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const command = (args[0] ?? '').toLowerCase();
      if (source === 'lua' || !['hmget', 'xrange', 'xrevrange', 'xread'].includes(command)) return;
      seen[command] = (seen[command] ?? 0) + 1;
    });
    return {
      count: async () => {
        // MONITOR lines trail the replies: a PING through the same server flushes what came before.
        await connection.client.ping();
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { ...seen };
      },
      stop: async () => {
        monitor.disconnect();
      },
    };
  }

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

  it('waiting on a job this instance created reads nothing once its queue has a listener', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'w4', retention: { completed: { count: 0 } } });
    jobs.defineTask('triple', async (n: number) => n * 3, { queue: 'w4' });
    const worker = jobs.createWorker({ queues: ['w4'], concurrency: 4 });
    let reads: Awaited<ReturnType<typeof watchReads>> | undefined;
    try {
      await worker.start();
      // The first wait starts the queue's listener, and reads the job: it was made before the listener.
      assert.equal(await jobs.waitForResult(await jobs.enqueue('triple', 1), { timeout: 5000 }), 3);
      reads = await watchReads();
      for (let n = 2; n <= 6; n++) {
        assert.equal(await jobs.waitForResult(await jobs.enqueue('triple', n), { timeout: 5000 }), n * 3);
      }
      // Ended and deleted (retention 0) before anyone waited: the listener kept its outcome.
      const early = await jobs.enqueue('triple', 7);
      await until(async () => (await jobs.getJob(early)) === undefined);
      assert.equal(await jobs.waitForResult(early, { timeout: 5000 }), 21);
      assert.deepEqual(await reads.count(), {});
      // A job made by another instance is read as before: its record (gone: retention 0), then the
      // stream for its final event.
      const other = createJobs({ connection, keyPrefix: 'w4' });
      other.defineTask('triple', async (n: number) => n * 3, { queue: 'w4' });
      const foreign = await other.enqueue('triple', 8);
      await until(async () => (await jobs.getJob(foreign)) === undefined);
      assert.equal(await jobs.waitForResult(foreign, { timeout: 5000 }), 24);
      assert.deepEqual(await reads.count(), { hmget: 1, xrevrange: 1 });
      await other.close();
    } finally {
      await reads?.stop();
      await worker.close({ graceMs: 0 });
      await jobs.close();
    }
  });

  it('finds the outcome of a job whose early event the listener had to drop', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'w5', retention: { completed: { count: 0 } } });
    jobs.defineTask('square', async (n: number) => n * n, { queue: 'w5' });
    const worker = jobs.createWorker({ queues: ['w5'], concurrency: 50 });
    try {
      await worker.start();
      assert.equal(await jobs.waitForResult(await jobs.enqueue('square', 1), { timeout: 5000 }), 1);
      // More jobs end unwatched than the listener keeps (1,000): the oldest outcomes are dropped.
      const ids = await jobs.enqueueBulk(
        'square',
        Array.from({ length: 1200 }, (_, n) => ({ data: n })),
      );
      await until(async () => (await jobs.counts('w5')).waiting + (await jobs.counts('w5')).active === 0, 20_000);
      assert.equal(await jobs.waitForResult(ids[0] as string, { timeout: 5000 }), 0);
      assert.equal(await jobs.waitForResult(ids[5] as string, { timeout: 5000 }), 25);
      assert.equal(await jobs.waitForResult(ids[1199] as string, { timeout: 5000 }), 1199 * 1199);
    } finally {
      await worker.close({ graceMs: 0 });
      await jobs.close();
    }
  });

  it('reads a job that ended while the listener was cut, before anyone waited on it', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'w6' });
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    jobs.defineTask('gated', async () => (await gate, 'late'), { queue: 'w6' });
    jobs.defineTask('quick', async () => 'quick', { queue: 'w6' });
    const worker = jobs.createWorker({ queues: ['w6'] });
    try {
      await worker.start();
      assert.equal(await jobs.waitForResult(await jobs.enqueue('quick', null), { timeout: 5000 }), 'quick');
      const id = await jobs.enqueue('gated', null);
      await until(async () => (await jobs.getJob(id))?.state === 'active');
      // The completion is published while no listener is subscribed: the message is lost.
      await connection.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      open();
      await until(async () => (await jobs.getJob(id))?.state === 'completed');
      // Subscribed again, and past the listener's own re-checks (right away and 0.5 s later).
      await until(async () => {
        const reply = (await connection.client.call('PUBSUB', 'NUMSUB', 'w6:j:{w6}:j:done')) as [string, number];
        return Number(reply[1]) > 0;
      });
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(await jobs.waitForResult(id, { timeout: 2000 }), 'late');
    } finally {
      await worker.close({ graceMs: 0 });
      await jobs.close();
    }
  });

  it('loads its scripts again when the server has lost them (SCRIPT FLUSH, a restart)', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'w7' });
    jobs.defineTask('echo', async (text: string) => text, { queue: 'w7' });
    const worker = jobs.createWorker({ queues: ['w7'] });
    try {
      await worker.start();
      assert.equal(await jobs.waitForResult(await jobs.enqueue('echo', 'before'), { timeout: 5000 }), 'before');
      await connection.client.script('FLUSH');
      assert.equal(await jobs.waitForResult(await jobs.enqueue('echo', 'after'), { timeout: 5000 }), 'after');
      assert.equal((await jobs.counts('w7')).completed, 2);
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

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RedisConnection } from '../redis/connection.js';
import { privateRedisConnection } from '../testing/private-redis-connection.js';
import { redisSkipReason } from '../testing/redis-server.js';
import { createJobs } from './jobs.js';
import { jobsKeys } from './keys.js';

const skip = redisSkipReason();

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, 'condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The idle hash of a queue (lua/jobs/includes/handoff.lua). */
const idleKey = (prefix: string, queue: string): string => `${jobsKeys(prefix).queue(queue).jobBase}~idle`;

describe('hand-off of new jobs to idle workers on Redis', { skip }, () => {
  let connection: RedisConnection;
  privateRedisConnection((opened) => (connection = opened));

  it('claims a new job for an idle worker inside the enqueue, and the worker runs it', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'h1' });
    jobs.defineTask('double', async (n: number) => n * 2);
    const worker = jobs.createWorker({ concurrency: 4 });
    await worker.start();
    await until(async () => (await connection.client.hexists(idleKey('h1', 'default'), worker.id)) === 1);
    const id = await jobs.enqueue('double', 21);
    // Claimed by the enqueue script itself: no worker round trip has happened yet.
    const job = await jobs.getJob(id);
    assert.ok(job?.state === 'active' || job?.state === 'completed', `state ${job?.state}`);
    assert.equal(job?.workerId, worker.id);
    assert.equal(await jobs.waitForResult(id, { timeout: 5000 }), 42);
    // The worker registered again for the three slots it still had free, then for all four.
    await until(async () => (await connection.client.hexists(idleKey('h1', 'default'), worker.id)) === 1);
    await worker.close();
    assert.equal(await connection.client.hexists(idleKey('h1', 'default'), worker.id), 0);
    await jobs.close();
  });

  it('skips a registration past its deadline (a worker that died waiting), or in another layout, and leaves the job for others', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'h2' });
    jobs.defineTask('t', async () => 'ok');
    const key = idleKey('h2', 'default');
    await connection.client.hset(key, 'dead-worker', '30000|10|5000|1000|dead-worker');
    // The layout of earlier versions (worker id first), deadline far ahead: not parsed, so dropped.
    await connection.client.hset(key, 'old-worker', `old-worker|30000|10|5000|${Date.now() + 3_600_000}`);
    const id = await jobs.enqueue('t', null);
    assert.equal((await jobs.getJob(id))?.state, 'waiting');
    assert.equal(await connection.client.hexists(key, 'dead-worker'), 0);
    assert.equal(await connection.client.hexists(key, 'old-worker'), 0);
    const worker = jobs.createWorker();
    await worker.start();
    assert.equal(await jobs.waitForResult(id, { timeout: 5000 }), 'ok');
    await worker.close();
    await jobs.close();
  });

  it('hands back jobs still in the inbox when the worker closes', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'h3' });
    let ran = 0;
    jobs.defineTask('t', async () => void ran++);
    const worker = jobs.createWorker({ concurrency: 2 });
    await worker.start();
    const key = idleKey('h3', 'default');
    await until(async () => (await connection.client.hexists(key, worker.id)) === 1);
    // Stop the worker's wait without letting it read its inbox, as a close mid-wait does.
    const closing = worker.close({ graceMs: 0 });
    const id = await jobs.enqueue('t', null);
    await closing;
    const job = await jobs.getJob(id);
    assert.ok(job?.state === 'waiting' || job?.state === 'completed', `state ${job?.state}`);
    assert.equal(await connection.client.hexists(key, worker.id), 0);
    assert.equal(await connection.client.exists(`${jobsKeys('h3').queue('default').jobBase}~in:${worker.id}`), 0);
    if (job?.state === 'waiting') assert.equal(job.attempts, 0);
    await jobs.close();
    assert.ok(ran <= 1);
  });
});

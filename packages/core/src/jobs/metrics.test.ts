import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { createJobs } from './jobs.js';

const sample = (text: string, name: string, labels: string): number | undefined => {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

describe('jobs metrics on the memory backend', () => {
  it('counts enqueued jobs and attempts by state, and gauges every queue by state when scraped', async () => {
    const registry = new Registry();
    const jobs = createJobs({ metrics: registry });
    try {
      jobs.defineTask('ok', async () => 'done', { queue: 'm1' });
      jobs.defineTask('bad', async () => Promise.reject(new Error('no')), { queue: 'm1' });
      jobs.defineTask('later', async () => undefined, { queue: 'm2' });
      const ok = await jobs.enqueue('ok', null);
      const bad = await jobs.enqueue('bad', null);
      await jobs.enqueue('later', null, { delay: '1h' });
      await jobs.enqueueBulk('later', [{ data: 1 }, { data: 2 }]);
      const worker = jobs.createWorker({ queues: ['m1'] });
      await worker.start();
      await jobs.waitForResult(ok, { timeout: 5000 });
      await assert.rejects(jobs.waitForResult(bad, { timeout: 5000 }));
      await worker.close();

      const text = await registry.metrics();
      assert.equal(sample(text, 'backplane_jobs_enqueued_total', 'queue="m1"'), 2);
      assert.equal(sample(text, 'backplane_jobs_enqueued_total', 'queue="m2"'), 3);
      assert.equal(sample(text, 'backplane_jobs_attempt_duration_seconds_count', 'queue="m1",state="completed"'), 1);
      assert.equal(sample(text, 'backplane_jobs_attempt_duration_seconds_count', 'queue="m1",state="failed"'), 1);
      assert.equal(sample(text, 'backplane_jobs_queue_jobs', 'queue="m1",state="completed"'), 1);
      assert.equal(sample(text, 'backplane_jobs_queue_jobs', 'queue="m1",state="failed"'), 1);
      assert.equal(sample(text, 'backplane_jobs_queue_jobs', 'queue="m1",state="waiting"'), 0);
      assert.equal(sample(text, 'backplane_jobs_queue_jobs', 'queue="m2",state="waiting"'), 2);
      assert.equal(sample(text, 'backplane_jobs_queue_jobs', 'queue="m2",state="delayed"'), 1);
    } finally {
      await jobs.close();
    }
    // Closed: its gauge goes with it, so a later Jobs on the registry gauges its own store.
    assert.equal(registry.getSingleMetric('backplane_jobs_queue_jobs'), undefined);
    const next = createJobs({ metrics: registry });
    try {
      next.defineTask('t', async () => undefined, { queue: 'fresh' });
      await next.enqueue('t', null);
      const text = await registry.metrics();
      assert.equal(sample(text, 'backplane_jobs_queue_jobs', 'queue="fresh",state="waiting"'), 1);
      assert.equal(sample(text, 'backplane_jobs_queue_jobs', 'queue="m1",state="completed"'), undefined);
    } finally {
      await next.close();
    }
  });
});

describe('jobs queue gauge on Redis', { skip: redisSkipReason() }, () => {
  let server: RedisServerHandle;
  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('reads every process’s jobs, and a scrape while Redis is down still succeeds, without the series', async () => {
    const connection = new RedisConnection({ name: 'jobs', url: server.url, commandTimeoutMs: 300 });
    await connection.connect();
    await connection.waitUntilUp();
    // Another process's jobs: enqueued through a second instance that this registry knows nothing of.
    const other = createJobs({ connection, keyPrefix: 'gauge' });
    other.defineTask('t', async () => undefined, { queue: 'shared' });
    await other.enqueueBulk('t', [{ data: 1 }, { data: 2 }, { data: 3 }]);
    const registry = new Registry();
    const jobs = createJobs({ connection, keyPrefix: 'gauge', metrics: registry });
    try {
      let text = await registry.metrics();
      assert.equal(sample(text, 'backplane_jobs_queue_jobs', 'queue="shared",state="waiting"'), 3);
      await server.stop();
      text = await registry.metrics();
      assert.equal(sample(text, 'backplane_jobs_queue_jobs', 'queue="shared",state="waiting"'), undefined);
      assert.match(text, /# TYPE backplane_jobs_queue_jobs gauge/);
    } finally {
      await jobs.close();
      await other.close();
      await connection.close();
    }
  });
});

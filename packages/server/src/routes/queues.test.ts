import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Backplane, loadConfig, silentLogger } from 'backplane';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from 'backplane/testing';
import { buildApp, type App } from '../app.js';

interface QueuesBody {
  queues: Array<{ name: string; counts: Record<string, number> }>;
}

interface HealthBody {
  checks: Record<string, { backlog?: Record<string, { waiting: number }> }>;
}

describe('GET /queues lists queues other processes use (Redis)', { skip: redisSkipReason() }, () => {
  let redis: RedisServerHandle;
  let server: Backplane;
  let producer: Backplane;
  let app: App;
  before(async () => {
    redis = await startRedisServer();
    server = await Backplane.start(loadConfig({ REDIS_URL: redis.url }));
    // Another producer sharing the Redis, as a second service or a script would be: the server
    // never enqueues to its queue, has no worker on it, and is not told about it.
    producer = await Backplane.start(loadConfig({ REDIS_URL: redis.url }));
    producer.jobs.defineTask('reports.build', async () => 'done');
    app = await buildApp({ backplane: server, logger: silentLogger() });
  });
  after(async () => {
    await app.fastify.close();
    await server.close();
    await producer.close();
    await redis.stop();
  });

  it("shows a queue once another instance enqueued to it, with that queue's counts", async () => {
    const before = (await app.fastify.inject('/queues')).json<QueuesBody>();
    assert.ok(!before.queues.some((queue) => queue.name === 'reports'), 'not listed before any job');

    await producer.jobs.enqueue('reports.build', {}, { queue: 'reports' });
    await producer.jobs.enqueue('reports.build', {}, { queue: 'reports', delay: '1h' });

    const response = await app.fastify.inject('/queues');
    assert.equal(response.statusCode, 200);
    const reports = response.json<QueuesBody>().queues.find((queue) => queue.name === 'reports');
    assert.ok(reports, 'the queue the other instance used is listed');
    assert.equal(reports.counts.waiting, 1);
    assert.equal(reports.counts.delayed, 1);
  });

  it('counts that queue in the jobs health check too', async () => {
    const body = (await app.fastify.inject('/health')).json<HealthBody>();
    assert.equal(body.checks.jobs?.backlog?.reports?.waiting, 1);
  });

  it('lists its jobs with GET /tasks?queue=', async () => {
    const body = (await app.fastify.inject('/tasks?queue=reports')).json<{ jobs: Array<{ name: string }> }>();
    assert.deepEqual(
      body.jobs.map((job) => job.name),
      ['reports.build'],
    );
  });
});

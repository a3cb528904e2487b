import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Backplane, loadConfig, silentLogger } from 'backplane';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from 'backplane/testing';
import { buildApp, type App } from './app.js';

describe('service on the memory backend', () => {
  let backplane: Backplane;
  let app: App;
  before(async () => {
    backplane = await Backplane.start(loadConfig({}));
    app = await buildApp({ backplane, logger: silentLogger() });
  });
  after(async () => {
    await app.fastify.close();
    await backplane.close();
  });

  it('GET /health is ok with one check per component', async () => {
    const response = await app.fastify.inject({ method: 'GET', url: '/health' });
    assert.equal(response.statusCode, 200);
    const body = response.json<{ status: string; checks: Record<string, { status: string; backend?: string }> }>();
    assert.equal(body.status, 'ok');
    for (const component of ['cache', 'jobs', 'sessions']) {
      assert.deepEqual(body.checks[`redis:${component}`], { status: 'ok', backend: 'memory' });
    }
    assert.equal(body.checks.eventLoop?.status, 'ok');
  });

  it('GET /health/live and /health/ready answer 200', async () => {
    assert.deepEqual((await app.fastify.inject('/health/live')).json(), { status: 'ok' });
    assert.equal((await app.fastify.inject('/health/ready')).statusCode, 200);
  });

  it('GET /redis/status says memory', async () => {
    assert.deepEqual((await app.fastify.inject('/redis/status')).json(), { backend: 'memory' });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await app.fastify.inject({ method: 'POST', url: '/nope?x=1' });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(response.json(), { error: { code: 'E_NOT_FOUND', message: 'no route POST /nope' } });
  });

  it('answers a path that is not valid URL encoding with a JSON 400', async () => {
    for (const url of ['/tasks/%00%ff', '/tasks/%E0%A4%A']) {
      const response = await app.fastify.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 400, url);
      const body = response.json<{ error: { code: string; message: string } }>();
      assert.equal(body.error.code, 'E_BAD_REQUEST', url);
      assert.equal(typeof body.error.message, 'string');
    }
  });

  it('answers malformed JSON with 400 E_BAD_REQUEST, not a crash', async () => {
    const response = await app.fastify.inject({
      method: 'POST',
      url: '/health',
      headers: { 'content-type': 'application/json' },
      payload: '{"broken": ',
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'E_BAD_REQUEST');
  });

  it('readiness fails with 503 once shutdown begins, liveness does not', async () => {
    const other = await buildApp({ backplane, logger: silentLogger() });
    try {
      other.beginShutdown();
      const ready = await other.fastify.inject('/health/ready');
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json<{ status: string }>().status, 'down');
      assert.equal((await other.fastify.inject('/health')).statusCode, 503);
      assert.equal((await other.fastify.inject('/health/live')).statusCode, 200);
    } finally {
      await other.fastify.close();
    }
  });
});

describe('service on Redis', { skip: redisSkipReason() }, () => {
  const password = 'status-page-secret-1';
  let redis: RedisServerHandle;
  let backplane: Backplane;
  let app: App;
  before(async () => {
    redis = await startRedisServer({ password, args: ['--maxmemory-policy', 'allkeys-lru'] });
    backplane = await Backplane.start(loadConfig({ REDIS_URL: redis.url }));
    app = await buildApp({ backplane, logger: silentLogger() });
  });
  after(async () => {
    await app.fastify.close();
    await backplane.close();
    await redis.stop();
  });

  it('GET /redis/status shows INFO figures per component and never the password', async () => {
    const response = await app.fastify.inject('/redis/status');
    assert.equal(response.statusCode, 200);
    assert.ok(!response.body.includes(password));
    const body = response.json<{
      backend: string;
      connections: Record<
        string,
        { availability: string; target: string; info: { version: string; maxmemoryPolicy: string }; warnings: string[] }
      >;
    }>();
    assert.equal(body.backend, 'redis');
    for (const component of ['cache', 'jobs', 'sessions']) {
      const connection = body.connections[component];
      assert.equal(connection?.availability, 'up');
      assert.equal(connection?.target, `redis://127.0.0.1:${redis.port}/0`);
      assert.match(connection?.info.version ?? '', /^\d/);
      assert.equal(connection?.info.maxmemoryPolicy, 'allkeys-lru');
    }
    assert.match(body.connections.jobs?.warnings[0] ?? '', /may evict job keys/);
    assert.deepEqual(body.connections.cache?.warnings, []);
  });

  it('GET /health turns degraded while Redis is down and ok when it returns', async () => {
    await redis.stop();
    const degraded = await waitFor(app, 'degraded', 5000, (body) =>
      ['cache', 'jobs', 'sessions'].every((c) => body.checks[`redis:${c}`]?.availability === 'down'),
    );
    assert.ok(!JSON.stringify(degraded).includes(password));
    const status = await app.fastify.inject('/redis/status');
    assert.equal(status.statusCode, 200, 'status answers while Redis is down');
    assert.ok(!status.body.includes(password));
    await redis.start();
    await waitFor(app, 'ok', 5000);
  });
});

interface HealthBody {
  status: string;
  checks: Record<string, { availability?: string }>;
}

async function waitFor(app: App, wanted: string, timeoutMs: number, also: (body: HealthBody) => boolean = () => true) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await app.fastify.inject('/health');
    const body = response.json<HealthBody>();
    if (body.status === wanted && also(body)) {
      assert.equal(response.statusCode, 200);
      return body;
    }
    if (Date.now() > deadline) assert.fail(`health stayed ${body.status}, wanted ${wanted}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Backplane, loadConfig, silentLogger } from 'backplane';
import { buildApp, type App } from './app.js';

async function appWith(env: Record<string, string>): Promise<{ app: App; backplane: Backplane }> {
  const backplane = await Backplane.start(loadConfig(env));
  const app = await buildApp({ backplane, logger: silentLogger() });
  return { app, backplane };
}

describe('HTTP plumbing', () => {
  let app: App;
  let backplane: Backplane;
  before(async () => {
    ({ app, backplane } = await appWith({}));
  });
  after(async () => {
    await app.fastify.close();
    await backplane.close();
  });

  it('serves Prometheus text with HTTP, Redis, jobs and process metrics', async () => {
    await app.fastify.inject('/health');
    const response = await app.fastify.inject('/metrics');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain/);
    assert.match(
      response.body,
      /backplane_http_request_duration_seconds_count\{method="GET",route="\/health",status_code="200"\} 1/,
    );
    assert.match(response.body, /backplane_process_resident_memory_bytes \d+/);
    // Every queue's jobs by state, read when scraped.
    assert.match(response.body, /backplane_jobs_queue_jobs\{queue="default",state="waiting"\} \d+/);
  });

  it('labels HTTP metrics by route template, never the raw URL', async () => {
    await app.fastify.inject('/no/such/thing-123');
    const body = (await app.fastify.inject('/metrics')).body;
    assert.doesNotMatch(body, /thing-123/);
    assert.match(body, /route="unmatched",status_code="404"/);
  });

  it('serves the OpenAPI document and its UI at /docs', async () => {
    const ui = await app.fastify.inject('/docs/');
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /<html/i);
    const spec = (await app.fastify.inject('/docs/json')).json<{ openapi: string; paths: Record<string, unknown> }>();
    assert.match(spec.openapi, /^3\./);
    assert.ok(spec.paths['/health']);
    assert.ok(spec.paths['/redis/status']);
  });
});

describe('rate limit', () => {
  it('answers 429 E_RATE_LIMITED past the per-client limit', async () => {
    const { app, backplane } = await appWith({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await app.fastify.inject('/health/live')).statusCode);
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      const limited = await app.fastify.inject('/health/live');
      assert.equal(limited.json<{ error: { code: string } }>().error.code, 'E_RATE_LIMITED');
    } finally {
      await app.fastify.close();
      await backplane.close();
    }
  });

  it('is off with RATE_LIMIT_PER_MINUTE=0', async () => {
    const { app, backplane } = await appWith({ RATE_LIMIT_PER_MINUTE: '0' });
    try {
      for (let i = 0; i < 50; i += 1) assert.equal((await app.fastify.inject('/health/live')).statusCode, 200);
    } finally {
      await app.fastify.close();
      await backplane.close();
    }
  });
});

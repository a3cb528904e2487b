import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import autocannon from 'autocannon';
import { Backplane, loadConfig, silentLogger } from 'backplane';
import { freePort } from 'backplane/testing';
import { buildApp, type App } from '../../packages/server/src/app.js';
import { defineDemoTasks } from '../../packages/server/src/demo-tasks.js';

/**
 * A bounded load test on loopback: many clients polling one running job. It checks correctness under
 * load (no errors, no non-2xx), not speed; speed is measured in bench/service.
 */
describe('load: GET /tasks/:id under 50 concurrent pollers', () => {
  let backplane: Backplane;
  let app: App;
  let base: string;
  before(async () => {
    backplane = await Backplane.start(loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }));
    defineDemoTasks(backplane.jobs);
    await backplane.jobs.createWorker({ concurrency: 2 }).start();
    app = await buildApp({ backplane, logger: silentLogger() });
    const port = await freePort();
    await app.fastify.listen({ host: '127.0.0.1', port });
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await app.fastify.close();
    await backplane.close();
  });

  it('answers every request with 200 and the job, with zero errors', async () => {
    const created = await fetch(`${base}/tasks/demo.render`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stepMs: 400 }),
    });
    const { id } = (await created.json()) as { id: string };
    const result = await autocannon({
      url: `${base}/tasks/${encodeURIComponent(id)}`,
      connections: 50,
      amount: 20_000,
      duration: 10,
    });
    assert.equal(result.errors, 0, 'socket errors');
    assert.equal(result.timeouts, 0, 'timeouts');
    assert.equal(result.non2xx, 0, 'non-2xx answers');
    assert.ok(result.requests.total >= 1000, `only ${result.requests.total} requests`);
    const job = (await (await fetch(`${base}/tasks/${encodeURIComponent(id)}`)).json()) as { id: string };
    assert.equal(job.id, id);
  });
});

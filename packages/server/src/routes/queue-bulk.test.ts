import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Backplane, loadConfig, silentLogger } from 'backplane';
import { buildApp, type App } from '../app.js';

const TOKEN = 'bulk-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('POST /queues/:name/retry and DELETE /queues/:name/jobs', () => {
  let backplane: Backplane;
  let app: App;
  let failing = true;
  before(async () => {
    backplane = await Backplane.start(loadConfig({ BACKPLANE_ADMIN_TOKEN: TOKEN, WORKER_CONCURRENCY: '0' }));
    for (const name of ['mail.send', 'mail.bounce']) {
      backplane.jobs.defineTask(
        name,
        async () => {
          if (failing) throw new Error('smtp down');
          return 'sent';
        },
        { queue: 'mail' },
      );
    }
    app = await buildApp({ backplane, logger: silentLogger() });
  });
  after(async () => {
    await app.fastify.close();
    await backplane.close();
  });

  async function counts() {
    return backplane.jobs.counts('mail');
  }

  it('retries the failed jobs of one task, then removes the rest', async () => {
    await backplane.jobs.enqueueBulk('mail.send', [{ data: 1 }, { data: 2 }, { data: 3 }]);
    await backplane.jobs.enqueueBulk('mail.bounce', [{ data: 4 }, { data: 5 }]);
    const worker = backplane.jobs.createWorker({ queues: ['mail'] });
    await worker.start();
    for (let tries = 0; (await counts()).failed < 5; tries++) {
      assert.ok(tries < 500, 'the jobs failed');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    failing = false;

    const refused = await app.fastify.inject({ method: 'POST', url: '/queues/mail/retry' });
    assert.equal(refused.statusCode, 401, 'admin only');

    const retry = await app.fastify.inject({ method: 'POST', url: '/queues/mail/retry?task=mail.send', headers: auth });
    assert.equal(retry.statusCode, 200);
    assert.deepEqual(retry.json(), { queue: 'mail', state: 'failed', retried: 3 });
    for (let tries = 0; (await counts()).completed < 3; tries++) {
      assert.ok(tries < 500, 'the retried jobs completed');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await worker.close();

    const clean = await app.fastify.inject({ method: 'DELETE', url: '/queues/mail/jobs?state=failed', headers: auth });
    assert.equal(clean.statusCode, 200);
    assert.deepEqual(clean.json(), { queue: 'mail', state: 'failed', removed: 2 });
    const after = await counts();
    assert.equal(after.failed, 0);
    assert.equal(after.completed, 3);

    // With no worker left, new jobs wait; a queue can be emptied of them too.
    await backplane.jobs.enqueueBulk('mail.send', [{ data: 6 }, { data: 7 }]);
    const drain = await app.fastify.inject({ method: 'DELETE', url: '/queues/mail/jobs?state=waiting', headers: auth });
    assert.deepEqual(drain.json(), { queue: 'mail', state: 'waiting', removed: 2 });
    assert.equal((await counts()).waiting, 0);
  });

  it('answers bad options with a 422 naming them, and changes nothing', async () => {
    const before = await counts();
    for (const [method, url] of [
      ['POST', '/queues/mail/retry?state=completed'],
      ['DELETE', '/queues/mail/jobs'],
      ['DELETE', '/queues/mail/jobs?state=active'],
      ['DELETE', '/queues/mail/jobs?state=completed&task='],
    ] as const) {
      const response = await app.fastify.inject({ method, url, headers: auth });
      assert.equal(response.statusCode, 422, url);
      const body = response.json<{ error: { code: string; message: string } }>();
      assert.equal(body.error.code, 'E_VALIDATION', url);
      assert.match(body.error.message, /querystring\/(state|task)/, url);
    }
    assert.deepEqual(await counts(), before);
  });
});

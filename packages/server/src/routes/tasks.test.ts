import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Backplane, loadConfig, silentLogger } from 'backplane';
import { buildApp, type App } from '../app.js';
import { defineDemoTasks } from '../demo-tasks.js';

const TOKEN = 'test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

interface JobBody {
  id: string;
  state: string;
  progress: { percent: number } | null;
  result: unknown;
  error: { code?: string } | null;
  attempts: number;
}

async function waitForState(app: App, id: string, states: string[], timeoutMs = 10_000): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await app.fastify.inject(`/tasks/${encodeURIComponent(id)}`)).json<JobBody>();
    if (states.includes(job.state)) return job;
    if (Date.now() > deadline) assert.fail(`job ${id} stayed ${job.state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('task routes (memory backend, admin token set)', () => {
  let backplane: Backplane;
  let app: App;
  before(async () => {
    backplane = await Backplane.start(loadConfig({ BACKPLANE_ADMIN_TOKEN: TOKEN, BODY_LIMIT_BYTES: '4096' }));
    defineDemoTasks(backplane.jobs);
    backplane.jobs.defineTask('test.echo', async (data: unknown) => data);
    await backplane.jobs.createWorker({ concurrency: 4 }).start();
    app = await buildApp({ backplane, logger: silentLogger() });
  });
  after(async () => {
    await app.fastify.close();
    await backplane.close();
  });

  it('enqueues with POST /tasks/:name (202) and runs the job to completed', async () => {
    const response = await app.fastify.inject({
      method: 'POST',
      url: '/tasks/test.echo',
      headers: auth,
      payload: { hello: 'world' },
    });
    assert.equal(response.statusCode, 202);
    const { id, state } = response.json<{ id: string; state: string }>();
    assert.ok(['waiting', 'active', 'completed'].includes(state));
    const job = await waitForState(app, id, ['completed']);
    assert.deepEqual(job.result, { hello: 'world' });
  });

  it('enqueues from the envelope POST /tasks with options', async () => {
    const response = await app.fastify.inject({
      method: 'POST',
      url: '/tasks',
      headers: auth,
      payload: { name: 'test.echo', data: { n: 1 }, options: { delay: '5m', priority: 7 } },
    });
    assert.equal(response.statusCode, 202);
    assert.equal(response.json<{ state: string }>().state, 'delayed');
  });

  it('reads options from the query string: delay makes the job delayed', async () => {
    const response = await app.fastify.inject({
      method: 'POST',
      url: '/tasks/test.echo?delay=60000&attempts=3',
      headers: auth,
      payload: {},
    });
    assert.equal(response.statusCode, 202);
    const { id } = response.json<{ id: string }>();
    const job = (await app.fastify.inject(`/tasks/${id}`)).json<JobBody & { maxAttempts: number }>();
    assert.equal(job.state, 'delayed');
    assert.equal(job.maxAttempts, 3);
  });

  it('keeps a job for its own retention: keepCompleted=0 removes it once it ends', async () => {
    const response = await app.fastify.inject({
      method: 'POST',
      url: '/tasks/test.echo?keepCompleted=0&keepFailed=forever',
      headers: auth,
      payload: { n: 2 },
    });
    assert.equal(response.statusCode, 202);
    const { id } = response.json<{ id: string }>();
    assert.deepEqual(await backplane.jobs.waitForResult(id, { timeout: 5000 }), { n: 2 });
    const deadline = Date.now() + 5000;
    while ((await app.fastify.inject(`/tasks/${encodeURIComponent(id)}`)).statusCode !== 404) {
      assert.ok(Date.now() < deadline, 'the job was not removed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const bad = await app.fastify.inject({
      method: 'POST',
      url: '/tasks/test.echo?keepFailed=soon',
      headers: auth,
      payload: {},
    });
    assert.equal(bad.statusCode, 422);
    const { error } = bad.json<{ error: { code: string; message: string } }>();
    assert.equal(error.code, 'E_VALIDATION');
    assert.match(error.message, /keepFailed/);
    // A negative delay names the field and says what a duration looks like.
    const negative = await app.fastify.inject({
      method: 'POST',
      url: '/tasks/test.echo?delay=-5',
      headers: auth,
      payload: {},
    });
    assert.equal(negative.statusCode, 422);
    assert.match(negative.json<{ error: { message: string } }>().error.message, /delay.*0 or more.*30s/);
  });

  it('gives the same job for the same Idempotency-Key', async () => {
    const send = () =>
      app.fastify.inject({
        method: 'POST',
        url: '/tasks/test.echo?delay=1m',
        headers: { ...auth, 'idempotency-key': 'order-42' },
        payload: {},
      });
    const first = (await send()).json<{ id: string }>();
    const second = (await send()).json<{ id: string }>();
    assert.equal(first.id, second.id);
  });

  it('cancels a running job with DELETE and it ends cancelled', async () => {
    const { id } = (
      await app.fastify.inject({ method: 'POST', url: '/tasks/demo.long', headers: auth, payload: { seconds: 30 } })
    ).json<{ id: string }>();
    await waitForState(app, id, ['active']);
    const response = await app.fastify.inject({ method: 'DELETE', url: `/tasks/${id}`, headers: auth });
    assert.equal(response.statusCode, 200);
    const job = await waitForState(app, id, ['cancelled']);
    assert.equal(job.error?.code, 'E_JOB_CANCELLED');
  });

  it('retries a cancelled job with POST /tasks/:id/retry', async () => {
    const { id } = (
      await app.fastify.inject({
        method: 'POST',
        url: '/tasks/test.echo?delay=10m',
        headers: auth,
        payload: { again: true },
      })
    ).json<{ id: string }>();
    await app.fastify.inject({ method: 'DELETE', url: `/tasks/${id}`, headers: auth });
    await waitForState(app, id, ['cancelled']);
    const response = await app.fastify.inject({ method: 'POST', url: `/tasks/${id}/retry`, headers: auth });
    assert.equal(response.statusCode, 202);
    const job = await waitForState(app, id, ['completed']);
    assert.deepEqual(job.result, { again: true });
  });

  it('runs a delayed job now with POST /tasks/:id/promote, and answers 409 for a job that is not delayed', async () => {
    const { id } = (
      await app.fastify.inject({ method: 'POST', url: '/tasks/test.echo?delay=1h', headers: auth, payload: { now: 1 } })
    ).json<{ id: string }>();
    const unauthorized = await app.fastify.inject({ method: 'POST', url: `/tasks/${id}/promote` });
    assert.equal(unauthorized.statusCode, 401);
    const response = await app.fastify.inject({ method: 'POST', url: `/tasks/${id}/promote`, headers: auth });
    assert.equal(response.statusCode, 202);
    const job = await waitForState(app, id, ['completed']);
    assert.deepEqual(job.result, { now: 1 });
    const again = await app.fastify.inject({ method: 'POST', url: `/tasks/${id}/promote`, headers: auth });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json<{ error: { code: string } }>().error.code, 'E_JOB_STATE');
    const missing = await app.fastify.inject({ method: 'POST', url: '/tasks/default:nope/promote', headers: auth });
    assert.equal(missing.statusCode, 404);
  });

  it("serves a job's own log with GET /tasks/:id/logs, paged, 404 for no job and 422 for bad paging", async () => {
    const { id } = (
      await app.fastify.inject({ method: 'POST', url: '/tasks/demo.flaky', headers: auth, payload: {} })
    ).json<{ id: string }>();
    await waitForState(app, id, ['completed']);
    const response = await app.fastify.inject(`/tasks/${id}/logs`);
    assert.equal(response.statusCode, 200);
    const page = response.json<{ lines: Array<{ attempt: number; level: string; message: string }>; total: number }>();
    assert.deepEqual(
      page.lines.map((line) => `${line.attempt} ${line.level} ${line.message}`),
      ['1 info attempt 1 of 3', '1 warn failing on purpose; the retry will succeed', '2 info attempt 2 of 3'],
    );
    assert.equal(page.total, 3);
    const last = (await app.fastify.inject(`/tasks/${id}/logs?offset=2&limit=1`)).json<typeof page>();
    assert.deepEqual(
      last.lines.map((line) => line.message),
      ['attempt 2 of 3'],
    );
    const missing = await app.fastify.inject('/tasks/default:nope/logs');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<{ error: { code: string } }>().error.code, 'E_JOB_NOT_FOUND');
    for (const query of ['offset=-1', 'limit=0', 'limit=1001', 'limit=x', 'other=1']) {
      const bad = await app.fastify.inject(`/tasks/${id}/logs?${query}`);
      assert.equal(bad.statusCode, 422, query);
      assert.equal(bad.json<{ error: { code: string } }>().error.code, 'E_VALIDATION', query);
    }
  });

  it("serves a job's past events with GET /tasks/:id/history, 404 for no job and 422 for a bad limit", async () => {
    const { id } = (
      await app.fastify.inject({ method: 'POST', url: '/tasks/demo.flaky', headers: auth, payload: {} })
    ).json<{ id: string }>();
    await waitForState(app, id, ['completed']);
    const response = await app.fastify.inject(`/tasks/${id}/history`);
    assert.equal(response.statusCode, 200);
    const history = response.json<{ events: Array<{ id: string; jobId: string; type: string }>; complete: boolean }>();
    const types = history.events.map((event) => event.type);
    assert.deepEqual(types.slice(0, 2), ['waiting', 'active']);
    assert.ok(types.includes('retrying'), types.join(' '));
    assert.equal(types.at(-1), 'completed');
    assert.ok(history.events.every((event) => event.jobId === id));
    assert.equal(history.complete, true);
    const last = (await app.fastify.inject(`/tasks/${id}/history?limit=1`)).json<
      typeof history & { missing: string }
    >();
    assert.deepEqual(
      last.events.map((event) => event.type),
      ['completed'],
    );
    assert.equal(last.missing, 'limit');
    const missing = await app.fastify.inject('/tasks/default:nope/history');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<{ error: { code: string } }>().error.code, 'E_JOB_NOT_FOUND');
    for (const query of ['limit=0', 'limit=1001', 'limit=x', 'other=1']) {
      const bad = await app.fastify.inject(`/tasks/${id}/history?${query}`);
      assert.equal(bad.statusCode, 422, query);
      assert.equal(bad.json<{ error: { code: string } }>().error.code, 'E_VALIDATION', query);
    }
  });

  it('lists the tasks it can enqueue with GET /task-definitions', async () => {
    const response = await app.fastify.inject('/task-definitions');
    assert.equal(response.statusCode, 200);
    const { tasks } = response.json<{ tasks: Array<{ name: string; queue: string; attempts: number }> }>();
    const names = tasks.map((task) => task.name);
    assert.ok(names.includes('demo.render') && names.includes('demo.flaky'), names.join(' '));
    assert.deepEqual(names, [...names].sort());
    const flaky = tasks.find((task) => task.name === 'demo.flaky');
    assert.equal(flaky?.attempts, 3);
    assert.equal(flaky?.queue, 'default');
    // demo.render checks its payload with a zod schema, listed as JSON Schema, and refuses what breaks it.
    const render = tasks.find((task) => task.name === 'demo.render') as
      { validatesPayload: boolean; payloadSchema?: { properties?: Record<string, { type?: string }> } } | undefined;
    assert.equal(render?.validatesPayload, true);
    assert.equal(render?.payloadSchema?.properties?.stepMs?.type, 'integer');
    const bad = await app.fastify.inject({
      method: 'POST',
      url: '/tasks/demo.render',
      headers: auth,
      payload: { stepMs: -1 },
    });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.json<{ error: { message: string } }>().error.message, /stepMs/);
  });

  it('lists jobs by state and name with a cursor', async () => {
    for (let i = 0; i < 5; i += 1) {
      await app.fastify.inject({ method: 'POST', url: '/tasks/test.echo?delay=1h', headers: auth, payload: { i } });
    }
    const first = (await app.fastify.inject('/tasks?state=delayed&name=test.echo&limit=2')).json<{
      jobs: JobBody[];
      nextCursor: string | null;
    }>();
    assert.equal(first.jobs.length, 2);
    assert.ok(first.nextCursor);
    const second = (
      await app.fastify.inject(
        `/tasks?state=delayed&name=test.echo&limit=2&cursor=${encodeURIComponent(first.nextCursor)}`,
      )
    ).json<{ jobs: JobBody[] }>();
    assert.equal(second.jobs.length, 2);
    assert.ok(!second.jobs.some((job) => first.jobs.some((other) => other.id === job.id)));
  });

  it('lists the waiting jobs when GET /tasks names no state, and says so in the OpenAPI document', async () => {
    // No worker runs queue 'idle', so its jobs stay where they are put.
    const enqueue = (query: string) =>
      app.fastify.inject({ method: 'POST', url: `/tasks/test.echo?queue=idle${query}`, headers: auth, payload: {} });
    const waiting = (await enqueue('')).json<{ id: string }>().id;
    const delayed = (await enqueue('&delay=1h')).json<{ id: string }>().id;
    const listed = (await app.fastify.inject('/tasks?queue=idle')).json<{ jobs: JobBody[] }>();
    assert.deepEqual(
      listed.jobs.map((job) => [job.id, job.state]),
      [[waiting, 'waiting']],
    );
    const other = (await app.fastify.inject('/tasks?queue=idle&state=delayed')).json<{ jobs: JobBody[] }>();
    assert.deepEqual(
      other.jobs.map((job) => job.id),
      [delayed],
    );
    const doc = (await app.fastify.inject('/docs/json')).json<{
      paths: Record<string, { get?: { parameters?: Array<{ name: string; schema: { default?: unknown } }> } }>;
    }>();
    const state = doc.paths['/tasks']?.get?.parameters?.find((parameter) => parameter.name === 'state');
    assert.equal(state?.schema.default, 'waiting');
  });

  it('shows queues with counts and pauses and resumes them (admin)', async () => {
    const queues = (await app.fastify.inject('/queues')).json<{
      queues: Array<{ name: string; counts: Record<string, number>; paused: boolean }>;
    }>();
    const queue = queues.queues.find((entry) => entry.name === 'default');
    assert.ok(queue && queue.counts.completed !== undefined && queue.counts.delayed !== undefined);
    assert.equal((await app.fastify.inject({ method: 'POST', url: '/queues/default/pause' })).statusCode, 401);
    const paused = await app.fastify.inject({ method: 'POST', url: '/queues/default/pause', headers: auth });
    assert.equal(paused.json<{ paused: boolean }>().paused, true);
    const resumed = await app.fastify.inject({ method: 'POST', url: '/queues/default/resume', headers: auth });
    assert.equal(resumed.json<{ paused: boolean }>().paused, false);
  });

  it('lists live workers', async () => {
    const body = (await app.fastify.inject('/workers')).json<{
      workers: Array<{ pid: number; concurrency: number }>;
    }>();
    assert.equal(body.workers.length, 1);
    assert.equal(body.workers[0]?.pid, process.pid);
    assert.equal(body.workers[0]?.concurrency, 4);
  });

  it('answers cache stats and clears the cache (admin)', async () => {
    const stats = (await app.fastify.inject('/cache/stats')).json<{ hits: { total: number }; circuit: string }>();
    assert.equal(typeof stats.hits.total, 'number');
    assert.equal((await app.fastify.inject({ method: 'POST', url: '/cache/clear', payload: {} })).statusCode, 401);
    for (const payload of [{}, { namespace: 'chat' }, { tag: 'user:1' }, { prefix: 'chat:' }]) {
      const response = await app.fastify.inject({ method: 'POST', url: '/cache/clear', headers: auth, payload });
      assert.equal(response.statusCode, 200, JSON.stringify(payload));
    }
  });

  const bad: Array<{
    what: string;
    method: 'GET' | 'POST' | 'DELETE';
    url: string;
    headers?: Record<string, string>;
    payload?: string | object;
    status: number;
    code: string;
  }> = [
    {
      what: 'missing token',
      method: 'POST',
      url: '/tasks/test.echo',
      payload: {},
      status: 401,
      code: 'E_UNAUTHORIZED',
    },
    {
      what: 'wrong token',
      method: 'POST',
      url: '/tasks/test.echo',
      headers: { authorization: 'Bearer nope-nope-nope-nope' },
      payload: {},
      status: 401,
      code: 'E_UNAUTHORIZED',
    },
    { what: 'cancel without token', method: 'DELETE', url: '/tasks/default:abc', status: 401, code: 'E_UNAUTHORIZED' },
    {
      what: 'malformed JSON',
      method: 'POST',
      url: '/tasks/test.echo',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"a":',
      status: 400,
      code: 'E_BAD_REQUEST',
    },
    {
      what: 'unknown task',
      method: 'POST',
      url: '/tasks/no.such.task',
      headers: auth,
      payload: {},
      status: 404,
      code: 'E_TASK_UNKNOWN',
    },
    {
      what: 'priority of the wrong type',
      method: 'POST',
      url: '/tasks/test.echo?priority=high',
      headers: auth,
      payload: {},
      status: 422,
      code: 'E_VALIDATION',
    },
    {
      what: 'priority out of range',
      method: 'POST',
      url: '/tasks/test.echo?priority=5000',
      headers: auth,
      payload: {},
      status: 422,
      code: 'E_VALIDATION',
    },
    {
      what: 'unknown option',
      method: 'POST',
      url: '/tasks/test.echo?colour=red',
      headers: auth,
      payload: {},
      status: 422,
      code: 'E_VALIDATION',
    },
    {
      what: 'envelope without a name',
      method: 'POST',
      url: '/tasks',
      headers: auth,
      payload: { data: {} },
      status: 422,
      code: 'E_VALIDATION',
    },
    {
      what: 'oversized body',
      method: 'POST',
      url: '/tasks/test.echo',
      headers: auth,
      payload: { blob: 'x'.repeat(10_000) },
      status: 413,
      code: 'E_PAYLOAD_TOO_LARGE',
    },
    { what: 'unknown job id', method: 'GET', url: '/tasks/default:doesnotexist', status: 404, code: 'E_JOB_NOT_FOUND' },
    { what: 'malformed job id', method: 'GET', url: '/tasks/%7B%7D', status: 404, code: 'E_JOB_NOT_FOUND' },
    {
      what: 'cancel of an unknown job',
      method: 'DELETE',
      url: '/tasks/default:doesnotexist',
      headers: auth,
      status: 404,
      code: 'E_JOB_NOT_FOUND',
    },
    { what: 'list with a bad state', method: 'GET', url: '/tasks?state=sleeping', status: 422, code: 'E_VALIDATION' },
    {
      what: 'clear with two scopes',
      method: 'POST',
      url: '/cache/clear',
      headers: auth,
      payload: { tag: 'a', prefix: 'b' },
      status: 422,
      code: 'E_VALIDATION',
    },
  ];
  for (const entry of bad) {
    it(`answers ${entry.status} ${entry.code} for ${entry.what}`, async () => {
      const response = await app.fastify.inject({
        method: entry.method,
        url: entry.url,
        ...(entry.headers ? { headers: entry.headers } : {}),
        ...(entry.payload !== undefined ? { payload: entry.payload } : {}),
      });
      assert.equal(response.statusCode, entry.status, response.body);
      const body = response.json<{ error: { code: string; message: string } }>();
      assert.equal(body.error.code, entry.code);
      assert.ok(body.error.message.length > 0);
    });
  }
});

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { UnrecoverableJobError } from '../jobs/errors.js';
import { sleep, until, collect, type JobsSuiteHarness } from './jobs-suite-harness.js';

/** Enqueue, run, results, validation, priorities, delays, retries, idempotency, events, concurrency. */
export function lifecycleTests({ open, queue, start }: JobsSuiteHarness): void {
  it('runs a job and records its result, attempts, timestamps and worker', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('add', async (data: { a: number; b: number }) => data.a + data.b, { queue: q });
    const id = await jobs.enqueue('add', { a: 2, b: 3 });
    assert.equal((await jobs.getJob(id))?.state, 'waiting');
    const worker = await start(jobs, { queues: [q] });
    assert.equal(await jobs.waitForResult(id, { timeout: 5000 }), 5);
    const job = await jobs.getJob(id);
    assert.equal(job?.state, 'completed');
    assert.equal(job?.name, 'add');
    assert.equal(job?.queue, q);
    assert.deepEqual(job?.data, { a: 2, b: 3 });
    assert.equal(job?.attempts, 1);
    assert.equal(job?.workerId, worker.id);
    assert.ok((job?.timestamps.finishedAt ?? 0) >= (job?.timestamps.startedAt ?? Infinity));
  });

  it('waitForResult does not miss a completion that happened before it was called', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('early', async () => 'done', { queue: q });
    const id = await jobs.enqueue('early', null);
    await start(jobs, { queues: [q] });
    await until(async () => (await jobs.getJob(id))?.state === 'completed');
    assert.equal(await jobs.waitForResult(id, { timeout: 1000 }), 'done');
    await assert.rejects(jobs.waitForResult(`${q}:nope`, { timeout: 100 }), { code: 'E_JOB_NOT_FOUND' });
  });

  it('waitForResult gives up with E_TIMEOUT at the deadline of each waiter, and others wait on', async () => {
    const jobs = await open();
    const q = queue();
    let open_: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open_ = resolve));
    jobs.defineTask('gated', async () => (await gate, 'through'), { queue: q });
    await start(jobs, { queues: [q] });
    const id = await jobs.enqueue('gated', null);
    await until(async () => (await jobs.getJob(id))?.state === 'active');
    const started = Date.now();
    // The longest first: the shorter deadlines that come after it must still fire on time.
    const patient = jobs.waitForResult(id, { timeout: 20_000 });
    const hasty = jobs.waitForResult(id, { timeout: 150 });
    const brief = jobs.waitForResult(id, { timeout: 400 });
    await assert.rejects(hasty, { code: 'E_TIMEOUT' });
    await assert.rejects(brief, { code: 'E_TIMEOUT' });
    assert.ok(Date.now() - started < 10_000, 'the short deadlines fired long before the patient one');
    open_();
    assert.equal(await patient, 'through');
  });

  it('rejects bad input with typed errors naming the field, and enqueues nothing', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('typed', async () => null, {
      queue: q,
      schema: {
        parse(input: unknown) {
          if (typeof (input as { n?: unknown })?.n !== 'number') throw new Error('n must be a number');
          return input;
        },
      },
    });
    await assert.rejects(jobs.enqueue('nope', {}), { code: 'E_TASK_UNKNOWN' });
    await assert.rejects(jobs.enqueue('typed', { n: 'x' }), { code: 'E_INVALID_PAYLOAD' });
    await assert.rejects(jobs.enqueue('typed', { n: 1, big: 1n }), { code: 'E_INVALID_PAYLOAD' });
    await assert.rejects(jobs.enqueue('typed', { n: 1 }, { delay: -5 }), (error: { code: string; message: string }) => {
      assert.equal(error.code, 'E_INVALID_ARGUMENT');
      assert.match(error.message, /options\.delay/);
      return true;
    });
    await assert.rejects(jobs.enqueue('typed', { n: 1 }, { priority: 1001 }), /options\.priority/);
    await assert.rejects(jobs.enqueue('typed', { n: 1 }, { attempts: 0 }), /options\.attempts/);
    await assert.rejects(jobs.enqueue('typed', { n: 1 }, { queue: 'bad{tag}' }), /options\.queue/);
    await assert.rejects(
      jobs.enqueueBulk('typed', [{ data: { n: 1 } }, { data: { n: 2 }, options: { priority: -1 } }]),
      /items\[1\]\.options\.priority/,
    );
    for (const item of [null, 7, 'x', []]) {
      await assert.rejects(
        jobs.enqueueBulk('typed', [{ data: { n: 1 } }, item as never]),
        (error: { code: string; message: string }) => {
          assert.equal(error.code, 'E_INVALID_ARGUMENT');
          assert.match(error.message, /^items\[1\] /);
          return true;
        },
      );
    }
    assert.throws(() => jobs.defineTask('typed', async () => null), { code: 'E_INVALID_ARGUMENT' });
    const counts = await jobs.counts(q);
    assert.equal(counts.waiting + counts.delayed, 0);
  });

  it('enqueueBulk returns ids in order and the worker runs them all', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('echo', async (n: number) => n * 2, { queue: q });
    const ids = await jobs.enqueueBulk(
      'echo',
      Array.from({ length: 50 }, (_, n) => ({ data: n })),
    );
    assert.equal(new Set(ids).size, 50);
    await start(jobs, { queues: [q], concurrency: 8 });
    const results = await Promise.all(ids.map((id) => jobs.waitForResult(id, { timeout: 10_000 })));
    assert.deepEqual(
      results,
      Array.from({ length: 50 }, (_, n) => n * 2),
    );
  });

  it('runs higher priorities first, first in first out within a priority', async () => {
    const jobs = await open();
    const q = queue();
    const order: string[] = [];
    jobs.defineTask('p', async (label: string) => void order.push(label), { queue: q });
    await jobs.enqueue('p', 'low-1');
    await jobs.enqueue('p', 'high-1', { priority: 10 });
    await jobs.enqueue('p', 'mid', { priority: 5 });
    await jobs.enqueue('p', 'low-2');
    const last = await jobs.enqueue('p', 'high-2', { priority: 10 });
    const listed = await jobs.listJobs({ queue: q, state: 'waiting' });
    assert.deepEqual(
      listed.jobs.map((job) => job.data),
      ['high-1', 'high-2', 'mid', 'low-1', 'low-2'],
    );
    await start(jobs, { queues: [q], concurrency: 1 });
    await jobs.waitForResult(last, { timeout: 5000 });
    await until(() => order.length === 5);
    assert.deepEqual(order, ['high-1', 'high-2', 'mid', 'low-1', 'low-2']);
  });

  it('holds a delayed job until it is due', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('later', async () => Date.now(), { queue: q });
    await start(jobs, { queues: [q] });
    const before = Date.now();
    const id = await jobs.enqueue('later', null, { delay: 300 });
    assert.equal((await jobs.getJob(id))?.state, 'delayed');
    const ranAt = await jobs.waitForResult<number>(id, { timeout: 5000 });
    assert.ok(ranAt - before >= 280, `ran after ${ranAt - before} ms`);
    const runAt = await jobs.enqueue('later', null, { runAt: new Date(Date.now() + 100) });
    assert.equal((await jobs.getJob(runAt))?.state, 'delayed');
    await jobs.waitForResult(runAt, { timeout: 5000 });
  });

  it('retries with backoff, and an unrecoverable error skips the retries left', async () => {
    const jobs = await open();
    const q = queue();
    const startedAt: number[] = [];
    jobs.defineTask(
      'flaky',
      async (_: null, ctx) => {
        startedAt.push(Date.now());
        if (ctx.attempt < 3) throw new Error(`boom ${ctx.attempt}`);
        return 'ok';
      },
      { queue: q, attempts: 3, backoff: { type: 'fixed', delay: 100 } },
    );
    jobs.defineTask(
      'fatal',
      async () => {
        throw new UnrecoverableJobError('no point');
      },
      { queue: q, attempts: 5 },
    );
    await start(jobs, { queues: [q] });
    const id = await jobs.enqueue('flaky', null);
    assert.equal(await jobs.waitForResult(id, { timeout: 5000 }), 'ok');
    assert.equal((await jobs.getJob(id))?.attempts, 3);
    assert.equal(startedAt.length, 3);
    assert.ok((startedAt[1] as number) - (startedAt[0] as number) >= 90);
    const fatal = await jobs.enqueue('fatal', null);
    await assert.rejects(jobs.waitForResult(fatal, { timeout: 5000 }), { code: 'E_JOB_FAILED' });
    const failed = await jobs.getJob(fatal);
    assert.equal(failed?.state, 'failed');
    assert.equal(failed?.attempts, 1);
    assert.equal(failed?.error?.unrecoverable, true);
    assert.equal(failed?.error?.message, 'no point');
    // The stack is recorded (first line: the error itself), for the job detail views.
    assert.match(failed?.error?.stack ?? '', /^UnrecoverableJobError: no point\n\s+at /);
  });

  it('gives the same job for the same idempotency key', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('once', async () => null, { queue: q });
    const a = await jobs.enqueue('once', 1, { idempotencyKey: 'order-42' });
    const b = await jobs.enqueue('once', 2, { idempotencyKey: 'order-42' });
    const [c] = await jobs.enqueueBulk('once', [{ data: 3, options: { idempotencyKey: 'order-42' } }]);
    assert.equal(a, b);
    assert.equal(a, c);
    assert.equal((await jobs.counts(q)).waiting, 1);
    assert.equal((await jobs.getJob(a))?.data, 1);
    assert.ok((await jobs.listQueues()).includes(q));
  });

  it('stores progress and publishes it with every transition as events, resumable by id', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask(
      'steps',
      async (_: null, ctx) => {
        await ctx.progress(50, 'half', { frames: 10 });
        return 'ok';
      },
      { queue: q },
    );
    const id = await jobs.enqueue('steps', null);
    await start(jobs, { queues: [q] });
    await jobs.waitForResult(id, { timeout: 5000 });
    assert.deepEqual((await jobs.getJob(id))?.progress, { percent: 50, message: 'half', data: { frames: 10 } });
    const events = await collect(jobs.events(id, { lastEventId: '0' }));
    assert.deepEqual(
      events.map((event) => event.type),
      ['waiting', 'active', 'progress', 'completed'],
    );
    assert.deepEqual(events[3]?.data, 'ok');
    const resumed = await collect(jobs.events(id, { lastEventId: events[1]?.id as string }));
    assert.deepEqual(
      resumed.map((event) => event.type),
      ['progress', 'completed'],
    );
  });

  it('takes jobs from several queues with one worker', async () => {
    const jobs = await open();
    const [q1, q2] = [queue(), queue()];
    jobs.defineTask('one', async () => 'from one', { queue: q1 });
    jobs.defineTask('two', async () => 'from two', { queue: q2 });
    await start(jobs, { queues: [q1, q2], concurrency: 2 });
    const a = await jobs.enqueue('one', null);
    const b = await jobs.enqueue('two', null);
    const c = await jobs.enqueue('one', null, { queue: q2 });
    assert.ok(c.startsWith(`${q2}:`));
    assert.deepEqual(await Promise.all([a, b, c].map((id) => jobs.waitForResult(id, { timeout: 5000 }))), [
      'from one',
      'from two',
      'from one',
    ]);
  });

  it('caps the event stream of a queue', async () => {
    const jobs = await open({ eventsMaxLength: 100 });
    const q = queue();
    jobs.defineTask('noise', async () => null, { queue: q });
    await jobs.enqueueBulk(
      'noise',
      Array.from({ length: 400 }, () => ({ data: null })),
    );
    const kept = await collect(jobs.queueEvents(q, { lastEventId: '0', signal: AbortSignal.timeout(500) }), 1000);
    // Trimming is approximate on Redis (whole stream nodes), never unbounded.
    assert.ok(kept.length >= 100 && kept.length < 400, `kept ${kept.length}`);
    assert.equal(kept.at(-1)?.type, 'waiting');
  });

  it('ends event iterators when the instance closes', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('tick', async () => null, { queue: q });
    const seen = collect(jobs.queueEvents(q), 1000);
    await jobs.enqueue('tick', null);
    await sleep(100);
    await jobs.close();
    const events = await seen;
    assert.deepEqual(
      events.map((event) => event.type),
      ['waiting'],
    );
  });

  it('never runs more jobs at once than the concurrency', async () => {
    const jobs = await open();
    const q = queue();
    let now = 0;
    let peak = 0;
    jobs.defineTask(
      'busy',
      async () => {
        peak = Math.max(peak, ++now);
        await sleep(20);
        now--;
      },
      { queue: q },
    );
    const ids = await jobs.enqueueBulk(
      'busy',
      Array.from({ length: 12 }, () => ({ data: null })),
    );
    await start(jobs, { queues: [q], concurrency: 3 });
    await Promise.all(ids.map((id) => jobs.waitForResult(id, { timeout: 5000 })));
    assert.equal(peak, 3);
  });

  it('enqueues a bulk of 12,000 jobs (written in slices), ids in order, idempotency across slices', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('bulk', async () => null, { queue: q });
    await jobs.pause(q);
    const items = Array.from({ length: 12_000 }, (_, i) => ({
      data: { i },
      options: i === 0 || i === 11_999 ? { idempotencyKey: 'same' } : {},
    }));
    const ids = await jobs.enqueueBulk('bulk', items);
    assert.equal(ids.length, 12_000);
    assert.equal(ids[11_999], ids[0]);
    assert.equal(new Set(ids).size, 11_999);
    assert.equal((await jobs.counts(q)).waiting, 11_999);
    assert.deepEqual((await jobs.getJob(ids[11_998] as string))?.data, { i: 11_998 });
    // Validation covers the whole bulk before anything is written.
    const bad = [...items.slice(1, 5_000), { data: null, options: { priority: -1 } }];
    await assert.rejects(jobs.enqueueBulk('bulk', bad), { code: 'E_INVALID_ARGUMENT' });
    assert.equal((await jobs.counts(q)).waiting, 11_999);
  });
}

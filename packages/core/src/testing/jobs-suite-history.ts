import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compareEventIds } from '../jobs/event-ids.js';
import type { JobEvent } from '../jobs/types.js';
import { until, type JobsSuiteHarness } from './jobs-suite-harness.js';

const types = (events: readonly JobEvent[] | undefined): string[] => (events ?? []).map((event) => event.type);
const timeOf = (event: JobEvent): number => Number(event.id.slice(0, event.id.indexOf('-')));

/** A job's history: its own events, read back from the queue's capped stream, in order, bounded. */
export function historyTests({ open, queue, start }: JobsSuiteHarness): void {
  it("reads back a job's own events in order, across attempts, without other jobs' events", async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask(
      'twice',
      async (_: null, ctx) => {
        await ctx.progress(50, 'half');
        if (ctx.attempt === 1) throw new Error('first attempt fails');
        return 'ok';
      },
      { queue: q, attempts: 2, backoff: { type: 'fixed', delay: 0 } },
    );
    jobs.defineTask('other', async () => 'other', { queue: q });
    const before = Date.now();
    const id = await jobs.enqueue('twice', null);
    const other = await jobs.enqueue('other', null);

    // Before any worker: only its creation.
    const waiting = await jobs.history(id);
    assert.deepEqual(types(waiting?.events), ['waiting']);
    assert.equal(waiting?.complete, true);

    await start(jobs, { queues: [q] });
    assert.equal(await jobs.waitForResult(id, { timeout: 5000 }), 'ok');
    await jobs.waitForResult(other, { timeout: 5000 });
    const history = await jobs.history(id);
    assert.ok(history);
    assert.deepEqual(types(history.events), [
      'waiting',
      'active',
      'progress',
      'retrying',
      'active',
      'progress',
      'completed',
    ]);
    assert.equal(history.complete, true);
    assert.equal(history.missing, undefined);
    assert.ok(history.events.every((event) => event.jobId === id && event.queue === q));
    assert.deepEqual(history.events[2]?.data, { percent: 50, message: 'half' });
    assert.equal(history.events.at(-1)?.data, 'ok');
    // Event ids are times: from the job's creation to now, in order.
    const times = history.events.map(timeOf);
    assert.ok((times[0] ?? 0) >= before - 1000 && (times.at(-1) ?? 0) <= Date.now() + 1000);
    history.events
      .slice(1)
      .forEach((event, i) => assert.ok(compareEventIds(event.id, history.events[i]?.id ?? '') > 0));
    // The other job's history is its own.
    assert.deepEqual(types((await jobs.history(other))?.events), ['waiting', 'active', 'completed']);
  });

  it('keeps the newest events past the limit, and checks its arguments', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask(
      'steps',
      async (count: number, ctx) => {
        for (let i = 1; i <= count; i++) await ctx.progress(i * 10);
        return count;
      },
      { queue: q },
    );
    await start(jobs, { queues: [q] });
    const id = await jobs.enqueue('steps', 6);
    await jobs.waitForResult(id, { timeout: 5000 });
    const all = await jobs.history(id);
    assert.equal(all?.events.length, 9);
    assert.equal(all?.complete, true);
    const last3 = await jobs.history(id, { limit: 3 });
    assert.deepEqual(types(last3?.events), ['progress', 'progress', 'completed']);
    assert.deepEqual(last3?.events[0]?.data, { percent: 50 });
    assert.equal(last3?.complete, false);
    assert.equal(last3?.missing, 'limit');

    assert.equal(await jobs.history(`${q}:no-such-job`), undefined);
    for (const limit of [0, 1001, 2.5, Number.NaN]) {
      await assert.rejects(jobs.history(id, { limit }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'E_INVALID_ARGUMENT');
        assert.match(error.message, /limit/);
        return true;
      });
    }
    await assert.rejects(jobs.history('no queue separator'), { code: 'E_JOB_NOT_FOUND' });
  });

  it("says so when the capped stream no longer holds a job's first events", async () => {
    const jobs = await open({ eventsMaxLength: 10 });
    const q = queue();
    jobs.defineTask('noop', async () => undefined, { queue: q });
    const first = await jobs.enqueue('noop', null);
    // Redis trims a stream approximately, a whole node (100 entries) at a time: enough traffic after
    // the first job that its events are gone on every backend.
    await jobs.enqueueBulk(
      'noop',
      Array.from({ length: 400 }, () => ({ data: null })),
    );
    await start(jobs, { queues: [q] });
    await until(async () => (await jobs.counts(q)).completed >= 401);
    // A job made once the backlog is done: its three events are the newest, all still held.
    const last = await jobs.enqueue('noop', null);
    await jobs.waitForResult(last, { timeout: 10_000 });
    const history = await jobs.history(first);
    assert.ok(history);
    assert.equal(history.complete, false);
    assert.equal(history.missing, 'trimmed');
    assert.ok(!types(history.events).includes('waiting'));
    // The newest job's events are all still there.
    const recent = await jobs.history(last);
    assert.deepEqual(types(recent?.events), ['waiting', 'active', 'completed']);
    assert.equal(recent?.complete, true);
  });
}

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BackplaneError } from '../errors.js';
import type { JobOptions, JobRetention } from '../jobs/types.js';
import { until, type JobsSuiteHarness } from './jobs-suite-harness.js';

/** Retention of finished jobs: by count, by age, per job and per task, and retention 0. */
export function retentionTests({ open, queue, start }: JobsSuiteHarness): void {
  it('keeps only the N most recent completed jobs, removing the rest actively', async () => {
    const jobs = await open({ retention: { completed: { count: 2 }, failed: '1h' } });
    const q = queue();
    jobs.defineTask('keep', async (n: number) => n, { queue: q });
    await start(jobs, { queues: [q], concurrency: 1 });
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const id = await jobs.enqueue('keep', n, { idempotencyKey: `k${n}` });
      ids.push(id);
      await jobs.waitForResult(id, { timeout: 5000 });
    }
    assert.equal((await jobs.counts(q)).completed, 2);
    assert.equal(await jobs.getJob(ids[0] as string), undefined);
    assert.equal((await jobs.getJob(ids[4] as string))?.state, 'completed');
    // The idempotency key of a removed job is free again.
    assert.notEqual(await jobs.enqueue('keep', 0, { idempotencyKey: 'k0' }), ids[0]);
  });

  it('removes completed jobs older than their retention age', async () => {
    const jobs = await open({ retention: { completed: 100 } });
    const q = queue();
    jobs.defineTask('age', async () => null, { queue: q });
    await start(jobs, { queues: [q] });
    const old = await jobs.enqueue('age', null);
    await jobs.waitForResult(old, { timeout: 5000 });
    await until(async () => (await jobs.getJob(old)) === undefined, 5000, 'retention sweep');
  });

  it("keeps a job for its own retention, over the task's default and the queue's", async () => {
    const jobs = await open({ retention: { completed: 100, failed: 100 } });
    const q = queue();
    jobs.defineTask(
      'kept',
      async (fail: boolean) => {
        if (fail) throw new Error('boom');
        return 'done';
      },
      { queue: q, retention: { failed: 'forever' } },
    );
    await start(jobs, { queues: [q] });
    const settle = async (id: string): Promise<void> => {
      await jobs.waitForResult(id, { timeout: 5000 }).catch(() => undefined);
    };
    const longer = await jobs.enqueue('kept', false, { retention: { completed: '1h' } });
    const failedForever = await jobs.enqueue('kept', true);
    const failedShort = await jobs.enqueue('kept', true, { retention: { failed: 50 } });
    const plain = await jobs.enqueue('kept', false);
    for (const id of [longer, failedForever, failedShort, plain]) await settle(id);
    await until(async () => (await jobs.getJob(plain)) === undefined, 5000, 'sweep of the queue-aged job');
    await until(async () => (await jobs.getJob(failedShort)) === undefined, 5000, 'sweep of the 50 ms failed job');
    assert.equal((await jobs.getJob(longer))?.state, 'completed');
    assert.equal((await jobs.getJob(failedForever))?.state, 'failed');
    const counts = await jobs.counts(q);
    assert.equal(counts.completed, 1);
    assert.equal(counts.failed, 1);
  });

  it('finds the outcome of a job removed at its end behind thousands of newer events of its queue', async () => {
    const jobs = await open({ eventsMaxLength: 20_000 });
    const q = queue();
    jobs.defineTask('gone', async (n: number) => n + 1, { queue: q, retention: { completed: 0 } });
    await start(jobs, { queues: [q], concurrency: 50 });
    // 9,000 events (waiting, active, completed) within the last minute, then the job waited on.
    await jobs.enqueueBulk(
      'gone',
      Array.from({ length: 3000 }, (_, n) => ({ data: n })),
    );
    await until(async () => {
      const counts = await jobs.counts(q);
      return counts.waiting + counts.active === 0;
    }, 20_000);
    const id = await jobs.enqueue('gone', 41);
    await until(async () => (await jobs.getJob(id)) === undefined, 5000, 'removal at the end');
    // This instance waits on nothing yet: the waiter must look the outcome up in the stream.
    assert.equal(await jobs.waitForResult(id, { timeout: 2000 }), 42);
  });

  it('removes a job with retention 0 as soon as it ends, after its outcome went out', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('gone', async (n: number) => n * 2, { queue: q });
    await start(jobs, { queues: [q] });
    const id = await jobs.enqueue('gone', 21, { retention: { completed: 0 }, idempotencyKey: 'once' });
    assert.equal(await jobs.waitForResult(id, { timeout: 5000 }), 42);
    await until(async () => (await jobs.getJob(id)) === undefined, 5000, 'removal at the end');
    // A waiter that comes after the job is gone still gets the outcome, from the final event.
    assert.equal(await jobs.waitForResult(id, { timeout: 1000 }), 42);
    assert.equal((await jobs.counts(q)).completed, 0);
    // Its idempotency key went with it.
    assert.notEqual(await jobs.enqueue('gone', 1, { idempotencyKey: 'once' }), id);

    const delayed = await jobs.enqueue('gone', 1, { delay: '1h', retention: { failed: 0 } });
    assert.equal(await jobs.cancel(delayed), 'cancelled');
    assert.equal(await jobs.getJob(delayed), undefined);
    assert.equal((await jobs.counts(q)).cancelled, 0);
  });

  it('names the bad retention argument', async () => {
    const jobs = await open();
    jobs.defineTask('r', async () => null);
    const bad = async (retention: unknown, argument: string): Promise<void> => {
      await assert.rejects(
        jobs.enqueue('r', null, { retention } as JobOptions),
        (error: unknown) =>
          error instanceof BackplaneError && error.code === 'E_INVALID_ARGUMENT' && error.message.includes(argument),
      );
    };
    await bad({ completed: -5 }, 'options.retention.completed');
    await bad({ failed: 'soon' }, 'options.retention.failed');
    await bad({ complete: '1h' }, 'options.retention.complete');
    await bad('1h', 'options.retention');
    assert.throws(
      () => jobs.defineTask('r2', async () => null, { retention: { completed: 'never' } as unknown as JobRetention }),
      /defaults\.retention\.completed/,
    );
  });
}

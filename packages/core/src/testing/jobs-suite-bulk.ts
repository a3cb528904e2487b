import assert from 'node:assert/strict';
import { it } from 'node:test';
import { collect, until, type JobsSuiteHarness } from './jobs-suite-harness.js';

/** Retrying and removing jobs in bulk (retryJobs, removeJobs). */
export function bulkTests({ open, queue, start }: JobsSuiteHarness): void {
  it('retries every failed job of one task across several pages, leaves the others, and removes in bulk', async () => {
    const jobs = await open();
    const q = queue();
    let failing = true;
    const handler = async (): Promise<string> => {
      if (failing) throw new Error('the service was down');
      return 'ok';
    };
    jobs.defineTask('bulk.a', handler, { queue: q });
    jobs.defineTask('bulk.b', handler, { queue: q });
    // 300 of one task and 150 of the other, interleaved, so that every page mixes both.
    const ids = { a: [] as string[], b: [] as string[] };
    for (let round = 0; round < 15; round++) {
      ids.a.push(
        ...(await jobs.enqueueBulk(
          'bulk.a',
          Array.from({ length: 20 }, (_, n) => ({ data: { n } })),
        )),
      );
      ids.b.push(
        ...(await jobs.enqueueBulk(
          'bulk.b',
          Array.from({ length: 10 }, (_, n) => ({ data: { n } })),
        )),
      );
    }
    await start(jobs, { queues: [q], concurrency: 20 });
    await until(async () => (await jobs.counts(q)).failed === 450, 20_000, 'every job failed');

    failing = false;
    assert.equal(await jobs.retryJobs(q, { name: 'bulk.a' }), 300);
    await until(async () => (await jobs.counts(q)).completed === 300, 20_000, 'the retried jobs completed');
    const counts = await jobs.counts(q);
    assert.equal(counts.failed, 150);
    const retried = await jobs.getJob(ids.a[0] as string);
    assert.equal(retried?.state, 'completed');
    assert.equal(retried?.attempts, 1, 'a fresh set of attempts');
    assert.equal((await jobs.getJob(ids.b[0] as string))?.state, 'failed');

    assert.equal(await jobs.removeJobs(q, { state: 'failed' }), 150);
    assert.equal((await jobs.counts(q)).failed, 0);
    assert.equal(await jobs.getJob(ids.b[0] as string), undefined);
    assert.equal(await jobs.removeJobs(q, { state: 'completed', name: 'bulk.b' }), 0);
    assert.equal(await jobs.removeJobs(q, { state: 'completed', name: 'bulk.a' }), 300);
    assert.equal((await jobs.counts(q)).completed, 0);
    assert.equal(await jobs.retryJobs(q), 0, 'nothing left to retry');
  });

  it('retries cancelled jobs, removes delayed ones with their idempotency keys, and records each as an event', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('bulk.c', async () => 'done', { queue: q });
    const start0 = await jobs.store.lastEventId(q);
    const cancelled = [await jobs.enqueue('bulk.c', 1), await jobs.enqueue('bulk.c', 2)];
    for (const id of cancelled) assert.equal(await jobs.cancel(id), 'cancelled');
    const delayed = [
      await jobs.enqueue('bulk.c', 3, { delay: '1h', idempotencyKey: 'report-7' }),
      await jobs.enqueue('bulk.c', 4, { delay: '1h' }),
    ];

    assert.equal(await jobs.retryJobs(q, { state: 'cancelled' }), 2);
    let counts = await jobs.counts(q);
    assert.equal(counts.cancelled, 0);
    assert.equal(counts.waiting, 2);
    assert.equal(await jobs.removeJobs(q, { state: 'delayed' }), 2);
    counts = await jobs.counts(q);
    assert.equal(counts.delayed, 0);
    for (const id of delayed) assert.equal(await jobs.getJob(id), undefined);
    const again = await jobs.enqueue('bulk.c', 3, { delay: '1h', idempotencyKey: 'report-7' });
    assert.notEqual(again, delayed[0], 'the removed job freed its idempotency key');

    const events = await collect(jobs.queueEvents(q, { lastEventId: start0, signal: AbortSignal.timeout(300) }), 50);
    const of = (id: string): string[] => events.filter((event) => event.jobId === id).map((event) => event.type);
    assert.deepEqual(of(cancelled[0] as string), ['waiting', 'cancelled', 'waiting']);
    assert.deepEqual(of(delayed[1] as string), ['delayed', 'removed']);

    // The retried jobs run like any other.
    await start(jobs, { queues: [q] });
    for (const id of cancelled) assert.equal(await jobs.waitForResult(id, { timeout: 5000 }), 'done');
  });

  it('removes the waiting jobs of one task from every index (plain, prioritized, groups), then the rest', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('drain.x', async () => 'x', { queue: q });
    jobs.defineTask('drain.y', async () => 'y', { queue: q });
    const plain = (n: number) => Array.from({ length: n }, (_, i) => ({ data: i }));
    const x: string[] = [];
    // Interleaved, so that pages of the listing mix both tasks; 380 jobs, more than one page.
    for (let round = 0; round < 5; round++) {
      x.push(...(await jobs.enqueueBulk('drain.x', plain(30))));
      await jobs.enqueueBulk('drain.y', plain(20));
      x.push(
        ...(await jobs.enqueueBulk(
          'drain.x',
          plain(12).map((item) => ({ ...item, options: { priority: 5 } })),
        )),
      );
      x.push(
        ...(await jobs.enqueueBulk(
          'drain.x',
          plain(8).map((item, i) => ({ ...item, options: { group: `g${i % 2}` } })),
        )),
      );
      await jobs.enqueueBulk(
        'drain.y',
        plain(6).map((item) => ({ ...item, options: { group: 'g0' } })),
      );
    }
    assert.equal((await jobs.counts(q)).waiting, 380);
    const seen = jobs.store.lastEventId(q);
    const ik = await jobs.enqueue('drain.x', 'keyed', { idempotencyKey: 'drain-1' });
    x.push(ik);

    assert.equal(await jobs.removeJobs(q, { state: 'waiting', name: 'drain.x' }), 251);
    assert.equal((await jobs.counts(q)).waiting, 130);
    const left = await jobs.listJobs({ queue: q, state: 'waiting', limit: 200 });
    assert.equal(left.jobs.length, 130);
    assert.ok(left.jobs.every((job) => job.name === 'drain.y'));
    for (const id of [x[0], x[30], x[50], x.at(-1)]) assert.equal(await jobs.getJob(id as string), undefined);
    assert.notEqual(await jobs.enqueue('drain.x', 'keyed', { idempotencyKey: 'drain-1' }), ik, 'its key is free');
    const removedEvents = await collect(
      jobs.queueEvents(q, { lastEventId: await seen, signal: AbortSignal.timeout(500) }),
      1000,
    );
    assert.equal(removedEvents.filter((event) => event.type === 'removed').length, 251);

    assert.equal(await jobs.removeJobs(q, { state: 'waiting' }), 131);
    assert.equal((await jobs.counts(q)).waiting, 0);
    // The groups emptied by the removal take new jobs as before.
    const after = await jobs.enqueue('drain.y', 'again', { group: 'g0' });
    await start(jobs, { queues: [q] });
    assert.equal(await jobs.waitForResult(after, { timeout: 5000 }), 'y');
  });

  it('refuses bulk calls with bad options, naming them, and changes nothing', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('bulk.d', async () => 'done', { queue: q });
    await jobs.enqueue('bulk.d', 1, { delay: '1h' });
    const refused = (pattern: RegExp) => (error: { code: string; message: string }) => {
      assert.equal(error.code, 'E_INVALID_ARGUMENT');
      assert.match(error.message, pattern);
      return true;
    };
    await assert.rejects(jobs.retryJobs(q, { state: 'completed' as never }), refused(/^options\.state /));
    await assert.rejects(jobs.retryJobs(q, { state: 'delayed' as never }), refused(/^options\.state /));
    await assert.rejects(jobs.removeJobs(q, {} as never), refused(/^options\.state /));
    await assert.rejects(jobs.removeJobs(q, { state: 'active' as never }), refused(/^options\.state /));
    await assert.rejects(jobs.removeJobs(q, null as never), refused(/^options /));
    await assert.rejects(jobs.retryJobs(q, { name: '' }), refused(/^options\.name /));
    await assert.rejects(jobs.removeJobs(q, { state: 'delayed', name: 7 as never }), refused(/^options\.name /));
    await assert.rejects(jobs.retryJobs('not a queue!'), refused(/^queue /));
    assert.equal((await jobs.counts(q)).delayed, 1);
    assert.equal(await jobs.retryJobs(queue()), 0, 'a queue never used has nothing to retry');
  });
}

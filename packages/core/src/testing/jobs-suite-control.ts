import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sleep, until, type JobsSuiteHarness } from './jobs-suite-harness.js';

/** Cancellation, time limits, leases and fencing, introspection, pause, shutdown, groups, rate limits. */
export function controlTests({ open, queue, start }: JobsSuiteHarness): void {
  it('cancels waiting and delayed jobs at once, and a running one through its signal', async () => {
    const jobs = await open();
    const q = queue();
    let aborted: unknown;
    let started = 0;
    jobs.defineTask(
      'long',
      async (_: null, ctx) =>
        new Promise((_resolve, reject) => {
          started++;
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.reason;
            reject(new Error('stopped'));
          });
        }),
      { queue: q },
    );
    jobs.defineTask('stubborn', async () => sleep(5000), { queue: q });
    const waiting = await jobs.enqueue('long', null);
    const delayed = await jobs.enqueue('long', null, { delay: 60_000 });
    assert.equal(await jobs.cancel(waiting), 'cancelled');
    assert.equal(await jobs.cancel(delayed), 'cancelled');
    assert.equal((await jobs.getJob(delayed))?.state, 'cancelled');
    await start(jobs, { queues: [q] });
    const running = await jobs.enqueue('long', null);
    // Running, not only claimed: a job cancelled before its handler starts never runs.
    await until(() => started === 1);
    assert.equal(await jobs.cancel(running), 'active');
    await assert.rejects(jobs.waitForResult(running, { timeout: 5000 }), { code: 'E_JOB_CANCELLED' });
    assert.equal((aborted as { code?: string }).code, 'E_JOB_CANCELLED');
    const ignoring = await jobs.enqueue('stubborn', null);
    await until(async () => (await jobs.getJob(ignoring))?.state === 'active');
    await jobs.cancel(ignoring);
    await jobs.waitForResult(ignoring, { timeout: 3000 }).catch(() => undefined);
    assert.equal((await jobs.getJob(ignoring))?.state, 'cancelled');
    assert.equal((await jobs.counts(q)).cancelled, 4);
  });

  it('aborts an attempt at its time limit and records a timeout failure, retried per policy', async () => {
    const jobs = await open();
    const q = queue();
    const reasons: string[] = [];
    jobs.defineTask(
      'slow',
      async (_: null, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        reasons.push((ctx.signal.reason as { code: string }).code);
        await sleep(10_000);
      },
      { queue: q, timeout: 100, attempts: 2 },
    );
    await start(jobs, { queues: [q] });
    const id = await jobs.enqueue('slow', null);
    await assert.rejects(jobs.waitForResult(id, { timeout: 5000 }), { code: 'E_JOB_FAILED' });
    const job = await jobs.getJob(id);
    assert.equal(job?.error?.code, 'E_JOB_TIMEOUT');
    assert.equal(job?.attempts, 2);
    assert.deepEqual(reasons, ['E_JOB_TIMEOUT', 'E_JOB_TIMEOUT']);
  });

  it('recovers a job whose lease expired and fences the old lease holder out', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('recover', async () => 'second run', { queue: q });
    const id = await jobs.enqueue('recover', null);
    const localId = id.slice(q.length + 1);
    const dead = await jobs.store.claim(q, { workerId: 'dead', count: 5, leaseMs: 100 });
    assert.equal(dead.jobs.length, 1);
    const token = dead.jobs[0]?.token as string;
    assert.deepEqual(await jobs.store.extend(q, [{ localId, token: 'wrong' }], 100), [0]);
    await sleep(150);
    assert.equal(await jobs.store.maintain(q), 1);
    assert.equal((await jobs.getJob(id))?.state, 'waiting');
    assert.equal((await jobs.getJob(id))?.attempts, 0);
    await start(jobs, { queues: [q] });
    assert.equal(await jobs.waitForResult(id, { timeout: 5000 }), 'second run');
    const late = await jobs.store.finish(q, [{ localId, token, outcome: { kind: 'failed', error: '{}' } }], {
      workerId: 'dead',
      count: 0,
      leaseMs: 100,
    });
    assert.deepEqual(late.states, [undefined]);
    assert.equal((await jobs.getJob(id))?.state, 'completed');
  });

  it('reports a pending cancellation in the heartbeat reply and ends the job cancelled if its worker is gone', async () => {
    const jobs = await open({ cancelGrace: 100 });
    const q = queue();
    jobs.defineTask('gone', async () => null, { queue: q });
    const id = await jobs.enqueue('gone', null);
    const localId = id.slice(q.length + 1);
    const [claimed] = (await jobs.store.claim(q, { workerId: 'hung', count: 1, leaseMs: 60_000 })).jobs;
    assert.ok(claimed);
    assert.deepEqual(await jobs.store.extend(q, [{ localId, token: claimed.token }], 60_000), [1]);
    assert.equal(await jobs.cancel(id), 'active');
    assert.equal((await jobs.getJob(id))?.cancelRequested, true);
    // The heartbeat cannot push the lease past the cancel deadline.
    assert.deepEqual(await jobs.store.extend(q, [{ localId, token: claimed.token }], 60_000), [2]);
    await sleep(150);
    await jobs.store.maintain(q);
    const job = await jobs.getJob(id);
    assert.equal(job?.state, 'cancelled');
    assert.equal(job?.error?.code, 'E_JOB_CANCELLED');
  });

  it('records a batch of outcomes fenced per lease, claims the next in the same call, and claims in batches', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('batch', async () => null, { queue: q });
    await jobs.enqueueBulk('batch', [{ data: 1 }, { data: 2 }, { data: 3 }, { data: 4 }]);
    const claim = { workerId: 'w', leaseMs: 10_000 };
    const batch = await jobs.store.claim(q, { ...claim, count: 3 });
    assert.equal(batch.jobs.length, 3);
    const first = batch.jobs[0];
    assert.ok(first);
    const second = batch.jobs[1];
    assert.ok(second);
    const reply = await jobs.store.finish(
      q,
      [
        { localId: first.localId, token: first.token, outcome: { kind: 'completed', result: '1' } },
        { localId: second.localId, token: 'stale', outcome: { kind: 'completed', result: '2' } },
      ],
      { ...claim, count: 2 },
    );
    assert.deepEqual(reply.states, ['completed', undefined]);
    assert.equal(reply.next.jobs.length, 1);
    assert.equal(reply.next.jobs[0]?.data, '4');
    const counts = await jobs.counts(q);
    assert.equal(counts.active, 3);
    assert.equal(counts.completed, 1);
  });

  it('lists by state and name with a cursor, counts, retries and removes', async () => {
    const jobs = await open();
    const q = queue();
    let fail = true;
    jobs.defineTask(
      'maybe',
      async () => {
        if (fail) throw new Error('nope');
        return 'fine';
      },
      { queue: q },
    );
    jobs.defineTask('other', async () => null, { queue: q });
    await jobs.pause(q);
    const ids = await jobs.enqueueBulk('maybe', [{ data: 1 }, { data: 2 }, { data: 3 }]);
    await jobs.enqueue('other', null);
    const page1 = await jobs.listJobs({ queue: q, state: 'waiting', limit: 2 });
    assert.equal(page1.jobs.length, 2);
    assert.ok(page1.nextCursor);
    const page2 = await jobs.listJobs({ queue: q, state: 'waiting', limit: 2, cursor: page1.nextCursor });
    assert.deepEqual(
      [...page1.jobs, ...page2.jobs].map((job) => job.name),
      ['maybe', 'maybe', 'maybe', 'other'],
    );
    assert.equal(page2.nextCursor, undefined);
    const named = await jobs.listJobs({ queue: q, state: 'waiting', name: 'other' });
    assert.equal(named.jobs.length, 1);
    await start(jobs, { queues: [q] });
    await jobs.resume(q);
    await until(async () => (await jobs.counts(q)).failed === 3);
    const counts = await jobs.counts(q);
    assert.equal(counts.completed, 1);
    assert.equal(counts.waiting, 0);
    assert.equal((await jobs.listJobs({ queue: q, state: 'failed' })).jobs.length, 3);
    await assert.rejects(
      jobs.retry(ids[2] as string).then(() => jobs.retry(ids[2] as string)),
      { code: 'E_JOB_STATE' },
    );
    fail = false;
    await jobs.retry(ids[0] as string);
    assert.equal(await jobs.waitForResult(ids[0] as string, { timeout: 5000 }), 'fine');
    await jobs.remove(ids[1] as string);
    assert.equal(await jobs.getJob(ids[1] as string), undefined);
    await assert.rejects(jobs.remove(ids[1] as string), { code: 'E_JOB_NOT_FOUND' });
    await assert.rejects(
      jobs.getJob('no-colon-here').then(() => jobs.cancel('nope')),
      { code: 'E_JOB_NOT_FOUND' },
    );
  });

  it('promotes a delayed job, or one waiting out its backoff, to run now; refuses any other', async () => {
    const jobs = await open();
    const q = queue();
    let calls = 0;
    jobs.defineTask('later', async (n: number) => n * 2, { queue: q });
    jobs.defineTask(
      'flaky',
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('first try fails');
        return 'second try';
      },
      { queue: q, attempts: 2, backoff: { type: 'fixed', delay: '1h' } },
    );
    await start(jobs, { queues: [q] });
    const later = await jobs.enqueue('later', 21, { delay: '1h' });
    assert.equal((await jobs.getJob(later))?.state, 'delayed');
    const promotedAt = Date.now();
    await jobs.promote(later);
    assert.equal(await jobs.waitForResult(later, { timeout: 5000 }), 42);
    const runAt = (await jobs.getJob(later))?.timestamps.runAt ?? 0;
    assert.ok(Math.abs(runAt - promotedAt) < 1000, `runAt is when it was promoted (${runAt - promotedAt} ms off)`);
    await assert.rejects(jobs.promote(later), { code: 'E_JOB_STATE' });
    await assert.rejects(jobs.promote(`${q}:nope`), { code: 'E_JOB_NOT_FOUND' });

    const flaky = await jobs.enqueue('flaky', null);
    await until(async () => (await jobs.getJob(flaky))?.state === 'delayed', 5000, 'the first attempt failed');
    await jobs.promote(flaky);
    assert.equal(await jobs.waitForResult(flaky, { timeout: 5000 }), 'second try');
    assert.equal((await jobs.getJob(flaky))?.attempts, 2);
  });

  it('pauses and resumes a queue for every worker', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('paused', async () => 'ran', { queue: q });
    await start(jobs, { queues: [q] });
    await jobs.pause(q);
    assert.equal(await jobs.isPaused(q), true);
    const id = await jobs.enqueue('paused', null);
    await sleep(300);
    assert.equal((await jobs.getJob(id))?.state, 'waiting');
    await jobs.resume(q);
    assert.equal(await jobs.waitForResult(id, { timeout: 5000 }), 'ran');
  });

  it('on close, waits for running jobs up to the grace and hands the rest back', async () => {
    const jobs = await open();
    const q = queue();
    let signal: AbortSignal | undefined;
    jobs.defineTask(
      'forever',
      async (_: null, ctx) => {
        signal = ctx.signal;
        await sleep(10_000);
      },
      { queue: q },
    );
    let quickStarted = false;
    jobs.defineTask(
      'quick',
      async () => {
        quickStarted = true;
        await sleep(100);
      },
      { queue: q },
    );
    const worker = await start(jobs, { queues: [q], concurrency: 2 });
    const forever = await jobs.enqueue('forever', null);
    const quick = await jobs.enqueue('quick', null);
    // Running means started: a job claimed for the worker but not yet started is handed back at once.
    await until(() => signal !== undefined && quickStarted);
    assert.equal((await jobs.listWorkers()).find((info) => info.id === worker.id)?.concurrency, 2);
    await worker.close({ graceMs: 400 });
    assert.equal((await jobs.getJob(quick))?.state, 'completed');
    const handedBack = await jobs.getJob(forever);
    assert.equal(handedBack?.state, 'waiting');
    assert.equal(handedBack?.attempts, 0);
    assert.equal(signal?.aborted, true);
    assert.equal(
      (await jobs.listWorkers()).find((info) => info.id === worker.id),
      undefined,
    );
  });

  it('runs a group in order, one at a time, while other groups proceed', async () => {
    const jobs = await open();
    const q = queue();
    const running = new Map<string, number>();
    const order: string[] = [];
    let overlap = false;
    const seenGroups = new Set<string | undefined>();
    jobs.defineTask(
      'grouped',
      async (data: { group: string; n: number }, ctx) => {
        seenGroups.add(ctx.job.group);
        const now = (running.get(data.group) ?? 0) + 1;
        running.set(data.group, now);
        if (now > 1) overlap = true;
        order.push(`${data.group}${data.n}`);
        await sleep(20);
        running.set(data.group, now - 1);
      },
      { queue: q },
    );
    const items = [];
    for (let n = 0; n < 4; n++) {
      for (const group of ['a', 'b']) items.push({ data: { group, n }, options: { group } });
    }
    const ids = await jobs.enqueueBulk('grouped', items);
    assert.equal((await jobs.counts(q)).waiting, 8);
    await jobs.cancel(ids[2] as string);
    assert.equal((await jobs.counts(q)).waiting, 7);
    await start(jobs, { queues: [q], concurrency: 6 });
    await Promise.all(ids.filter((_, index) => index !== 2).map((id) => jobs.waitForResult(id, { timeout: 5000 })));
    assert.equal(overlap, false);
    // The handler sees each job's group.
    assert.deepEqual([...seenGroups].sort(), ['a', 'b']);
    assert.equal((await jobs.counts(q)).waiting, 0);
    assert.deepEqual(
      order.filter((label) => label.startsWith('a')),
      ['a0', 'a2', 'a3'],
    );
    assert.deepEqual(
      order.filter((label) => label.startsWith('b')),
      ['b0', 'b1', 'b2', 'b3'],
    );
  });

  it('keeps to a per-queue rate limit', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('limited', async () => Date.now(), { queue: q });
    const ids = await jobs.enqueueBulk(
      'limited',
      Array.from({ length: 6 }, () => ({ data: null })),
    );
    await start(jobs, { queues: [q], concurrency: 6, rateLimit: { max: 2, duration: 300 } });
    const times = (await Promise.all(ids.map((id) => jobs.waitForResult<number>(id, { timeout: 10_000 })))).sort();
    // Six jobs at two per 300 ms need at least two further windows after the first.
    assert.ok(
      (times[5] as number) - (times[0] as number) >= 550,
      `spread ${(times[5] as number) - (times[0] as number)} ms`,
    );
  });

  it('lists waiting grouped jobs with the others, as counts() counts them', async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask('g', async () => null, { queue: q });
    await jobs.pause(q);
    const plain = await jobs.enqueue('g', 'plain');
    const b1 = await jobs.enqueue('g', 'b1', { group: 'b' });
    const a1 = await jobs.enqueue('g', 'a1', { group: 'a' });
    const b2 = await jobs.enqueue('g', 'b2', { group: 'b' });
    const urgent = await jobs.enqueue('g', 'urgent', { priority: 5 });
    assert.equal((await jobs.counts(q)).waiting, 5);
    const all = await jobs.listJobs({ queue: q, state: 'waiting' });
    assert.deepEqual(
      all.jobs.map((job) => job.id),
      [urgent, plain, a1, b1, b2],
    );
    const page1 = await jobs.listJobs({ queue: q, state: 'waiting', limit: 3 });
    const page2 = await jobs.listJobs({ queue: q, state: 'waiting', limit: 3, cursor: page1.nextCursor });
    assert.deepEqual(
      [...page1.jobs, ...page2.jobs].map((job) => job.id),
      [urgent, plain, a1, b1, b2],
    );
    assert.equal(page2.nextCursor, undefined);
    await jobs.cancel(b1);
    await jobs.remove(a1);
    assert.deepEqual(
      (await jobs.listJobs({ queue: q, state: 'waiting' })).jobs.map((job) => job.id),
      [urgent, plain, b2],
    );
    assert.equal((await jobs.counts(q)).waiting, 3);
    await start(jobs, { queues: [q] });
    await jobs.resume(q);
    await jobs.waitForResult(b2, { timeout: 5000 });
    await until(async () => (await jobs.counts(q)).waiting === 0);
    assert.deepEqual((await jobs.listJobs({ queue: q, state: 'waiting' })).jobs, []);
  });
}

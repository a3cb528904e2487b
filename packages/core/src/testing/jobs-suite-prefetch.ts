import assert from 'node:assert/strict';
import { it } from 'node:test';
import { BackplaneError } from '../errors.js';
import type { Jobs } from '../jobs/jobs.js';
import type { WorkerOptions } from '../jobs/worker.js';
import { sleep, until, type JobsSuiteHarness } from './jobs-suite-harness.js';

/**
 * Prefetched jobs (claimed ahead of a free slot): they keep queue order, keep their leases, can be
 * cancelled before they start, and go back to waiting when the worker closes.
 */
export function prefetchTests({ open, queue, start }: JobsSuiteHarness): void {
  /**
   * A queue where job 'first' ends at once and job 'hold' blocks until released, on a worker with one
   * slot and a prefetch of 2: once 'hold' runs, the next two jobs wait in the worker's buffer.
   */
  async function blockedWorker(options: WorkerOptions = {}) {
    const jobs = await open();
    const q = queue();
    const ran: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    jobs.defineTask(
      'step',
      async (label: string) => {
        ran.push(label);
        if (label === 'hold') await held;
        return label;
      },
      { queue: q },
    );
    const ids: Record<string, string> = {};
    for (const label of ['first', 'hold', 'a', 'b', 'c']) ids[label] = await jobs.enqueue('step', label);
    const worker = await start(jobs, { queues: [q], concurrency: 1, prefetch: 2, ...options });
    await until(() => ran.includes('hold'), 5000, "'hold' to start");
    await until(async () => (await jobs.counts(q)).active === 3, 5000, 'two prefetched jobs');
    return { jobs, q, ran, release, ids, worker };
  }

  const stateOf = async (jobs: Jobs, id: string | undefined): Promise<string | undefined> =>
    (await jobs.getJob(id ?? ''))?.state;

  it('runs prefetched jobs in queue order after the slot frees', async () => {
    const { jobs, ran, release, ids } = await blockedWorker();
    assert.deepEqual(ran, ['first', 'hold']);
    // Prefetched jobs are claimed (active, leased) but have not started.
    assert.equal(await stateOf(jobs, ids.a), 'active');
    assert.equal(await stateOf(jobs, ids.c), 'waiting');
    release();
    await jobs.waitForResult(ids.c ?? '', { timeout: 5000 });
    assert.deepEqual(ran, ['first', 'hold', 'a', 'b', 'c']);
  });

  it('cancels a prefetched job before it starts: its handler never runs', async () => {
    const { jobs, ran, release, ids } = await blockedWorker();
    assert.equal(await jobs.cancel(ids.a ?? ''), 'active');
    await until(async () => (await stateOf(jobs, ids.a)) === 'cancelled', 5000, 'the prefetched job to end cancelled');
    release();
    await jobs.waitForResult(ids.c ?? '', { timeout: 5000 });
    assert.deepEqual(ran, ['first', 'hold', 'b', 'c']);
  });

  it('renews the leases of prefetched jobs while they wait', async () => {
    const { jobs, ran, release, ids } = await blockedWorker({ lease: 300, heartbeat: 100 });
    // Three lease lengths: without renewal the maintenance pass would hand 'a' and 'b' back as stalled.
    await sleep(900);
    release();
    await jobs.waitForResult(ids.c ?? '', { timeout: 5000 });
    assert.deepEqual(ran, ['first', 'hold', 'a', 'b', 'c']);
    const a = await jobs.getJob(ids.a ?? '');
    assert.equal(a?.attempts, 1);
  });

  it('hands prefetched jobs back on close, without using an attempt', async () => {
    const { jobs, q, ran, release, ids, worker } = await blockedWorker();
    const closing = worker.close({ graceMs: 2000 });
    await until(async () => (await jobs.counts(q)).waiting === 3, 5000, 'prefetched jobs back in waiting');
    release();
    await closing;
    assert.equal((await jobs.getJob(ids.a ?? ''))?.attempts, 0);
    await start(jobs, { queues: [q] });
    await jobs.waitForResult(ids.c ?? '', { timeout: 5000 });
    assert.deepEqual(ran.slice(0, 2), ['first', 'hold']);
    assert.deepEqual(ran.slice(2).sort(), ['a', 'b', 'c']);
  });

  it("rejects a prefetch that is neither 'auto' nor a count", async () => {
    const jobs = await open();
    for (const prefetch of [-1, 1.5, 'lots']) {
      assert.throws(
        () => jobs.createWorker({ prefetch: prefetch as number }),
        (error: unknown) =>
          error instanceof BackplaneError && error.code === 'E_INVALID_ARGUMENT' && error.message.includes('prefetch'),
      );
    }
  });
}

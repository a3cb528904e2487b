import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createJobs } from '../jobs.js';
import { MemoryScheduleStore } from './memory-store.js';
import { JobScheduler } from './scheduler.js';

// The scheduler against the real engine (memory backend): runs arrive as jobs, and a slot enqueued
// twice (a retry after a Redis error) is still one job thanks to the per-slot idempotency key.
describe('JobScheduler with the jobs engine', () => {
  const jobs = createJobs();
  after(() => jobs.close());

  it('enqueues each slot as a job of the task, once per slot', async () => {
    jobs.defineTask('report.build', async (data: { kind: string }) => data.kind);
    const clock = { now: Date.parse('2030-01-01T00:00:00.500Z') };
    const enqueued: string[] = [];
    const scheduler = new JobScheduler({
      store: new MemoryScheduleStore(),
      now: () => clock.now,
      enqueue: async (task, data, options) => {
        const id = await jobs.enqueue(task, data, options);
        enqueued.push(id);
        // The same slot again, as a retry would send it: the engine must answer with the same job.
        assert.equal(await jobs.enqueue(task, data, options), id);
        return id;
      },
    });
    await scheduler.schedule({
      id: 'r',
      task: 'report.build',
      data: { kind: 'daily' },
      every: '1s',
      jobOptions: { priority: 7 },
    });
    clock.now += 500;
    assert.equal(await scheduler.tick(), 1);
    clock.now += 1000;
    assert.equal(await scheduler.tick(), 1);
    assert.equal(new Set(enqueued).size, 2);
    const job = await jobs.getJob(enqueued[0] as string);
    assert.equal(job?.name, 'report.build');
    assert.deepEqual(job?.data, { kind: 'daily' });
    assert.equal(job?.state, 'waiting');
    await scheduler.close();
  });
});

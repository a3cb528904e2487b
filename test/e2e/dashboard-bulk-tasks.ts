/**
 * A `--tasks` module for the dashboard pagination test: the default queue, paused, holding 10,000
 * waiting jobs, enqueued in-process (10 round trips instead of 10,000 HTTP requests).
 */
interface JobsRegistry {
  defineTask(name: string, handler: (data: unknown) => Promise<unknown>): void;
  pause(queue?: string): Promise<void>;
  enqueueBulk(name: string, items: ReadonlyArray<{ data: unknown }>): Promise<string[]>;
}

export const BULK_JOBS = 10_000;

export default async function defineBulkTasks(jobs: JobsRegistry): Promise<void> {
  jobs.defineTask('bulk.noop', async () => null);
  await jobs.pause('default');
  for (let batch = 0; batch < BULK_JOBS / 1000; batch++) {
    await jobs.enqueueBulk(
      'bulk.noop',
      Array.from({ length: 1000 }, (_, index) => ({ data: { n: batch * 1000 + index } })),
    );
  }
}

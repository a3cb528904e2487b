import type { Jobs, JobsOptions } from '../jobs/jobs.js';
import type { JobEvent } from '../jobs/types.js';
import type { Worker } from '../jobs/worker.js';

/** What the conformance tests get from the suite: fresh instances, unique queue names, started workers. */
export interface JobsSuiteHarness {
  open: (options?: JobsOptions) => Promise<Jobs>;
  queue: () => string;
  start: (jobs: Jobs, options: Parameters<Jobs['createWorker']>[0]) => Promise<Worker>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export async function collect(iterable: AsyncIterable<JobEvent>, max = 100): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of iterable) {
    events.push(event);
    if (events.length >= max) break;
  }
  return events;
}

import { randomUUID } from 'node:crypto';
import { after, describe } from 'node:test';
import type { Jobs, JobsOptions } from '../jobs/jobs.js';
import type { Worker } from '../jobs/worker.js';
import { bulkTests } from './jobs-suite-bulk.js';
import { controlTests } from './jobs-suite-control.js';
import { retentionTests } from './jobs-suite-retention.js';
import type { JobsSuiteHarness } from './jobs-suite-harness.js';
import { lifecycleTests } from './jobs-suite-lifecycle.js';
import { historyTests } from './jobs-suite-history.js';
import { logTests } from './jobs-suite-logs.js';
import { prefetchTests } from './jobs-suite-prefetch.js';

export interface JobsSuiteContext {
  /** A jobs instance on the backend under test; tests use their own queue names, so backends may be shared. */
  create(options?: JobsOptions): Promise<Jobs>;
  teardown?(): Promise<void>;
  skip?: string | undefined;
}

/**
 * The behaviour every jobs backend must show, driven through the public API (`createJobs`) and, for
 * leases and fencing, through `jobs.store`. Run with `runJobsSuite('mine', { create })`.
 */
export function runJobsSuite(name: string, context: JobsSuiteContext): void {
  describe(`Jobs conformance: ${name}`, { skip: context.skip ?? false }, () => {
    const opened: Jobs[] = [];
    const workers: Worker[] = [];
    const harness: JobsSuiteHarness = {
      open: async (options = {}) => {
        // A short cancel grace keeps the cancellation tests quick.
        const jobs = await context.create({ cancelGrace: 300, ...options });
        opened.push(jobs);
        return jobs;
      },
      queue: () => `q-${randomUUID().slice(0, 8)}`,
      start: async (jobs, options) => {
        const worker = jobs.createWorker({ maintenance: 100, idleWait: 200, ...options });
        workers.push(worker);
        await worker.start();
        return worker;
      },
    };

    after(async () => {
      await Promise.allSettled(workers.map((worker) => worker.close({ graceMs: 0 })));
      await Promise.allSettled(opened.map((jobs) => jobs.close()));
      await context.teardown?.();
    });

    lifecycleTests(harness);
    controlTests(harness);
    retentionTests(harness);
    prefetchTests(harness);
    bulkTests(harness);
    logTests(harness);
    historyTests(harness);
  });
}

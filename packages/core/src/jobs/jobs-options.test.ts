import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJobs } from './jobs.js';
import { resolveJobsOptions, type JobsOptions } from './jobs-options.js';

describe('createJobs options', () => {
  it('fills in the defaults', () => {
    const resolved = resolveJobsOptions({});
    assert.equal(resolved.cancelGraceMs, 5000);
    assert.equal(resolved.enqueuePolicy, 'reject');
    assert.equal(resolved.store.groupConcurrency, 1);
    assert.equal(resolved.store.eventsMaxLength, 10_000);
    assert.equal(resolved.store.maxStalls, 5);
    assert.equal(resolved.store.retention.completed.ageMs, 86_400_000);
    assert.equal(resolved.store.retention.failed.ageMs, 7 * 86_400_000);
  });

  it('refuses bad options with E_INVALID_ARGUMENT naming the option, before opening anything', () => {
    const cases: Array<[JobsOptions, string]> = [
      [{ cancelGrace: -1 }, 'cancelGrace'],
      [{ groupConcurrency: 0 }, 'groupConcurrency'],
      [{ groupConcurrency: 1.5 }, 'groupConcurrency'],
      [{ enqueuePolicy: 'drop' as 'reject' }, 'enqueuePolicy'],
      [{ retention: { completed: { count: -2 } } }, 'retention.completed'],
    ];
    for (const [options, argument] of cases) {
      assert.throws(
        () => createJobs(options),
        (error: unknown) =>
          error instanceof Error &&
          (error as { code?: string }).code === 'E_INVALID_ARGUMENT' &&
          (error as { argument?: string }).argument?.startsWith(argument) === true,
        `${JSON.stringify(options)} should be refused naming ${argument}`,
      );
    }
  });
});

import type { Registry } from 'prom-client';
import { InvalidArgumentError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from '../redis/connection.js';
import { toMilliseconds, type Duration } from '../util/duration.js';
import { checkJobLogOptions, type JobLogOptions } from './job-log.js';
import { toRetentionRule, type RetentionOption } from './options.js';
import type { JobStoreOptions } from './store.js';

export interface JobsOptions {
  /** Redis for the jobs; without it the memory backend runs everything in this process. */
  connection?: RedisConnection;
  /** @default 'bp' */
  keyPrefix?: string;
  logger?: Logger;
  metrics?: Registry;
  /**
   * How long finished jobs are kept: a duration, `{ count }` (the N most recent), or both.
   * Removal is active: every completion trims a few, and workers sweep the rest.
   * @default { completed: '24h', failed: '7d' } (cancelled jobs follow `failed`)
   */
  retention?: { completed?: RetentionOption; failed?: RetentionOption };
  /** What enqueue does while Redis is down: throw E_REDIS_UNAVAILABLE, or spool locally. @default 'reject' */
  enqueuePolicy?: 'reject' | 'spool';
  /** Most jobs the spool holds before enqueue throws E_JOB_SPOOL_FULL. @default 10000 */
  spoolSize?: number;
  /** How long a cancelled active job's handler may run on before the job ends cancelled anyway. @default 5000 */
  cancelGrace?: Duration;
  /** Jobs of one group that may run at the same time. @default 1 */
  groupConcurrency?: number;
  /** Events kept per queue (approximately). @default 10000 */
  eventsMaxLength?: number;
  /** Times a job may lose its worker (lease expiry) before it fails with E_JOB_STALLED. @default 5 */
  maxStalls?: number;
  /**
   * The job's own log: `ctx.log` calls at `level` or above are also kept with the job (the newest
   * `keep` lines; 0 keeps none) and read with `getLogs`. The process log is unaffected. A task's
   * `logs` default overrides this for its jobs.
   * @default { keep: 100, level: 'info' }
   */
  jobLogs?: JobLogOptions;
}

export interface ResolvedJobsOptions {
  cancelGraceMs: number;
  jobLog: Required<JobLogOptions>;
  enqueuePolicy: 'reject' | 'spool';
  store: JobStoreOptions;
}

/** Checks the options that have rules and fills in defaults; throws E_INVALID_ARGUMENT naming the option. */
export function resolveJobsOptions(options: JobsOptions): ResolvedJobsOptions {
  const cancelGraceMs = toMilliseconds(options.cancelGrace ?? 5000, 'cancelGrace');
  const groupConcurrency = options.groupConcurrency ?? 1;
  if (!Number.isInteger(groupConcurrency) || groupConcurrency < 1) {
    throw new InvalidArgumentError('groupConcurrency', 'must be an integer of 1 or more', groupConcurrency);
  }
  const retention = {
    completed: toRetentionRule(options.retention?.completed, 86_400_000, 'retention.completed'),
    failed: toRetentionRule(options.retention?.failed, 7 * 86_400_000, 'retention.failed'),
  };
  const enqueuePolicy = options.enqueuePolicy ?? 'reject';
  if (enqueuePolicy !== 'reject' && enqueuePolicy !== 'spool') {
    throw new InvalidArgumentError('enqueuePolicy', "must be 'reject' or 'spool'", enqueuePolicy);
  }
  if (options.jobLogs !== undefined) checkJobLogOptions(options.jobLogs, 'jobLogs');
  const keep = options.jobLogs?.keep ?? 100;
  const level = options.jobLogs?.level ?? 'info';
  return {
    cancelGraceMs,
    jobLog: { keep, level },
    enqueuePolicy,
    store: {
      retention,
      eventsMaxLength: options.eventsMaxLength ?? 10_000,
      groupConcurrency,
      maxStalls: options.maxStalls ?? 5,
    },
  };
}

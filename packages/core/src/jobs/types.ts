import type { Duration } from '../util/duration.js';
import type { JobLogOptions } from './job-log.js';

/** Where a job is in its life; `spooled` only while the enqueue waits in a local spool for Redis. */
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'cancelled' | 'spooled';

export const JOB_STATES: readonly JobState[] = [
  'waiting',
  'delayed',
  'active',
  'completed',
  'failed',
  'cancelled',
  'spooled',
];

export interface BackoffOptions {
  type: 'fixed' | 'exponential';
  /** The first (fixed: every) wait between attempts. */
  delay: Duration;
  /** Random share of each wait, 0 to 1: 0.2 waits between 80 % and 100 % of the computed delay. @default 0 */
  jitter?: number;
}

export interface JobOptions {
  /** Wait this long before the job may run. */
  delay?: Duration;
  /** Run no earlier than this time (a Date or ms since epoch); exclusive with `delay`. */
  runAt?: Date | number;
  /** 0 to 1000; higher runs first. @default 0 */
  priority?: number;
  /** Total tries, the first included. @default 1 */
  attempts?: number;
  backoff?: BackoffOptions;
  /** Time limit of one attempt; on expiry the signal aborts and the attempt fails with `E_JOB_TIMEOUT`. */
  timeout?: Duration;
  /** Enqueueing again with the same key gives the same job id while that job is kept. */
  idempotencyKey?: string;
  /** Jobs of one group run in order, at most `groupConcurrency` at a time. */
  group?: string;
  /** @default the task's queue, else 'default' */
  queue?: string;
  /**
   * How long this job is kept once it ends, instead of the queue's retention age: a duration, 0 to
   * remove it as soon as it ends (its outcome still reaches `waitForResult` and the events), or
   * 'forever'. The queue's count limit ("keep the N most recent") still applies.
   */
  retention?: JobRetention;
}

/** A job's own retention per outcome; `failed` also covers cancelled. */
export interface JobRetention {
  completed?: Duration | 'forever';
  failed?: Duration | 'forever';
}

export interface TaskDefaults extends Pick<
  JobOptions,
  'queue' | 'attempts' | 'backoff' | 'timeout' | 'priority' | 'retention'
> {
  /** Validates (and may transform) the payload at enqueue; a zod schema fits. */
  schema?: { parse(input: unknown): unknown };
  /** What this task's jobs keep of `ctx.log`, over createJobs' `jobLogs` (`{ keep: 0 }` keeps none). */
  logs?: JobLogOptions;
}

export interface JobProgress {
  percent: number;
  message?: string;
  data?: unknown;
}

export interface JobErrorInfo {
  message: string;
  name?: string;
  /** `E_JOB_TIMEOUT`, `E_JOB_CANCELLED`, `E_JOB_STALLED`, or the code of the error the handler threw. */
  code?: string;
  /** True when the handler threw an `UnrecoverableJobError` (retries were skipped). */
  unrecoverable?: boolean;
  /** The stack of the error the handler threw, cut to its first 2,000 characters. */
  stack?: string;
}

export interface JobTimestamps {
  createdAt: number;
  /** When a delayed job becomes due. */
  runAt?: number;
  /** Start of the latest attempt. */
  startedAt?: number;
  finishedAt?: number;
}

export interface JobRecord<TData = unknown, TResult = unknown> {
  id: string;
  name: string;
  queue: string;
  state: JobState;
  data: TData;
  result?: TResult;
  error?: JobErrorInfo;
  /** Attempts started so far (a stalled attempt that was handed back does not count). */
  attempts: number;
  maxAttempts: number;
  priority: number;
  progress?: JobProgress;
  group?: string;
  idempotencyKey?: string;
  /** The worker that ran the latest attempt. */
  workerId?: string;
  /** True while a cancellation of this active job is pending. */
  cancelRequested?: boolean;
  timestamps: JobTimestamps;
}

export interface ListJobsOptions {
  queue?: string;
  /** @default 'waiting' */
  state?: Exclude<JobState, 'spooled'>;
  name?: string;
  /** @default 50 */
  limit?: number;
  cursor?: string;
}

export interface JobEvent {
  /** Stream id; pass it back as `lastEventId` to resume after this event. */
  id: string;
  jobId: string;
  queue: string;
  /** waiting, delayed, active, progress, completed, failed, retrying, stalled, cancelling, cancelled, removed */
  type: string;
  /** The progress, result, error or due time the event carries, if any. */
  data?: unknown;
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  concurrency: number;
  running: string[];
  startedAt: number;
  lastHeartbeat: number;
  /** How often the worker refreshes this entry; listings drop it after three missed refreshes (at least 30 s). */
  heartbeatMs: number;
}

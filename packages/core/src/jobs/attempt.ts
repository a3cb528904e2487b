import type { Logger } from '../logger.js';
import { AttemptContext } from './context.js';
import { JobAbortedError, toJobError } from './errors.js';
import type { JobLogLevel } from './job-log.js';
import { backoffDelay, serialize } from './options.js';
import type { ClaimedJob, Outcome } from './store.js';
import type { TaskHandler, TaskRegistry } from './tasks.js';

/**
 * One attempt of a job in a worker: its record, how it is ended early (time limit, cancel grace, lost
 * lease, shutdown), and how the handler's settlement becomes the outcome the worker records.
 */

export type Settled = { ok: true; value: unknown } | { ok: false; error: unknown } | { forced: ForceReason };

export interface Running {
  /** The job's public id (`<queue>:<local id>`). */
  id: string;
  queue: string;
  job: ClaimedJob;
  /** Made when the handler first reads `ctx.signal`: most jobs never do, and it costs per job. */
  controller: AbortController | undefined;
  /** Why the signal aborted (kept for a signal read after the fact). */
  abortReason: JobAbortedError | undefined;
  cancelled: boolean;
  /** Ends the attempt without waiting for the handler (time limit, cancel grace, lost lease, shutdown). */
  settle: ((settled: Settled) => void) | undefined;
  forcedBefore: ForceReason | undefined;
  /** Lines of the job's own log not yet sent (see JobLogWriter). */
  logLines: string[] | undefined;
  /** The newest lines its log keeps (its task's `logs.keep`, else the instance's). */
  logKeep: number;
  /** The job's log lines being written (one write at a time): its outcome waits for them. */
  logWrite: Promise<void> | undefined;
}

export type ForceReason = 'timeout' | 'cancelled' | 'lost' | 'release';

/** What an attempt needs from its worker. */
export interface AttemptDeps {
  tasks: TaskRegistry;
  logger: Logger;
  /** Records progress for an attempt: one function per worker. */
  reportProgress: (entry: Running, progress: string) => Promise<void>;
  /** Keeps `ctx.log` lines at `level` or above in the job's log, the newest `keep` (a task's `logs` wins). */
  jobLog: {
    keep: number;
    level: JobLogLevel;
    record: (entry: Running, line: string) => void;
    /** What a context gets when its task has no `logs` of its own: undefined when `keep` is 0. */
    keepLine: { level: JobLogLevel; record: (entry: Running, line: string) => void } | undefined;
  };
}

export const CANCELLED_ERROR = JSON.stringify({ message: 'cancelled', code: 'E_JOB_CANCELLED' });

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

export function abortAttempt(entry: Running, reason: JobAbortedError): void {
  entry.abortReason ??= reason;
  entry.controller?.abort(reason);
}

export function forceEnd(entry: Running, reason: ForceReason): void {
  if (entry.settle) entry.settle({ forced: reason });
  else entry.forcedBefore ??= reason;
}

export async function runAttempt(entry: Running, deps: AttemptDeps): Promise<Outcome> {
  const { id, queue, job } = entry;
  const task = deps.tasks.get(job.name);
  if (!task) {
    const error = { message: `no task ${job.name} is defined in this worker`, code: 'E_TASK_UNKNOWN' };
    return { kind: 'failed', error: JSON.stringify(error) };
  }
  let timer: NodeJS.Timeout | undefined;
  if (job.timeoutMs > 0) {
    timer = setTimeout(() => {
      abortAttempt(entry, new JobAbortedError('E_JOB_TIMEOUT', `the job ran past its ${job.timeoutMs} ms time limit`));
      forceEnd(entry, 'timeout');
    }, job.timeoutMs);
    timer.unref();
  }
  const data: unknown = JSON.parse(job.data);
  const runningJob = {
    id,
    name: job.name,
    queue,
    data,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    createdAt: job.createdAt,
    group: job.group,
  };
  // A task of its own `logs` gets its own settings; the rest share one object (none made per job).
  const logs = task.defaults.logs;
  let keepLine = deps.jobLog.keepLine;
  entry.logKeep = deps.jobLog.keep;
  if (logs) {
    entry.logKeep = logs.keep ?? deps.jobLog.keep;
    keepLine = entry.logKeep > 0 ? { level: logs.level ?? deps.jobLog.level, record: deps.jobLog.record } : undefined;
  }
  const context = new AttemptContext(runningJob, entry, deps.logger, deps.reportProgress, keepLine);
  const settled = await runHandler(entry, task.handler as TaskHandler<unknown, unknown>, data, context);
  clearTimeout(timer);
  if (entry.cancelled) return { kind: 'cancelled', error: CANCELLED_ERROR };
  if ('forced' in settled) {
    if (settled.forced === 'release') return { kind: 'release' };
    if (settled.forced === 'timeout') {
      const error = {
        message: `timed out after ${job.timeoutMs} ms`,
        code: 'E_JOB_TIMEOUT',
        name: 'JobAbortedError',
      };
      return failure(job, error, false);
    }
    return { kind: 'failed', error: JSON.stringify({ message: 'lease lost', code: 'E_JOB_LEASE_LOST' }) };
  }
  if (settled.ok) {
    try {
      return { kind: 'completed', result: serialize(settled.value, 'result') };
    } catch (error) {
      return failure(job, toJobError(error), true);
    }
  }
  const info = toJobError(settled.error);
  return failure(job, info, info.unrecoverable === true);
}

/**
 * Calls the handler; the first settlement wins, so a forced end (time limit, cancel grace, lost
 * lease, shutdown) does not wait for a handler that ignores its signal. A handler that returns at
 * once costs no promise here.
 */
function runHandler(
  entry: Running,
  handler: TaskHandler<unknown, unknown>,
  data: unknown,
  context: AttemptContext<Running>,
): Settled | Promise<Settled> {
  if (entry.forcedBefore) return { forced: entry.forcedBefore };
  let returned: unknown;
  try {
    returned = handler(data, context);
  } catch (error) {
    return { ok: false, error };
  }
  if (!isThenable(returned)) return { ok: true, value: returned };
  return new Promise<Settled>((resolve) => {
    if (entry.forcedBefore) resolve({ forced: entry.forcedBefore });
    entry.settle = resolve;
    returned.then(
      (value) => resolve({ ok: true, value }),
      (error: unknown) => resolve({ ok: false, error }),
    );
  });
}

function failure(job: ClaimedJob, error: object, unrecoverable: boolean): Outcome {
  const json = JSON.stringify(error);
  if (unrecoverable || job.attempt >= job.maxAttempts) return { kind: 'failed', error: json };
  return { kind: 'retry', error: json, delayMs: backoffDelay(job.backoff, job.attempt) };
}

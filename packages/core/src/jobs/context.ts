import { InvalidArgumentError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobAbortedError } from './errors.js';
import { formatLogLine, recordingLogger, type JobLogLevel } from './job-log.js';
import { serialize } from './options.js';
import type { JobContext, RunningJob } from './tasks.js';

/** What a context reads from the worker's record of the attempt. */
export interface AttemptSignal {
  /** Made on first read of `ctx.signal`: most jobs never read it, and one per job costs. */
  controller: AbortController | undefined;
  abortReason: JobAbortedError | undefined;
}

/**
 * The `ctx` a handler gets. A class rather than an object literal: a no-op job is cheap enough that
 * per-job closures and getters show up in the worker's profile.
 */
export class AttemptContext<TAttempt extends AttemptSignal = AttemptSignal> implements JobContext {
  private childLog: Logger | undefined;

  constructor(
    readonly job: RunningJob,
    private readonly attemptSignal: TAttempt,
    private readonly logger: Logger,
    /** Records progress for the attempt: one function per worker, given the attempt. */
    private readonly report: (attempt: TAttempt, progress: string) => Promise<void>,
    /** Keeps a line in the job's own log (undefined: job logs are off). */
    private readonly keepLine?: { level: JobLogLevel; record: (attempt: TAttempt, line: string) => void },
  ) {}

  get attempt(): number {
    return this.job.attempt;
  }

  get signal(): AbortSignal {
    const holder = this.attemptSignal;
    if (!holder.controller) {
      holder.controller = new AbortController();
      if (holder.abortReason) holder.controller.abort(holder.abortReason);
    }
    return holder.controller.signal;
  }

  get log(): Logger {
    if (this.childLog) return this.childLog;
    const child = this.logger.child({ jobId: this.job.id, task: this.job.name });
    const keep = this.keepLine;
    this.childLog = keep
      ? recordingLogger(child, keep.level, (level, args) =>
          keep.record(this.attemptSignal, formatLogLine(level, args, this.job.attempt, Date.now())),
        )
      : child;
    return this.childLog;
  }

  async progress(percent: number, message?: string, data?: unknown): Promise<void> {
    if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) {
      throw new InvalidArgumentError('percent', 'must be a number from 0 to 100', percent);
    }
    const progress: Record<string, unknown> = { percent };
    if (message !== undefined) progress.message = message;
    if (data !== undefined) progress.data = data;
    await this.report(this.attemptSignal, serialize(progress, 'progress'));
  }
}

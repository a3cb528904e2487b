import type { Running } from './attempt.js';
import type { JobStore } from './store.js';

/**
 * Sends the `ctx.log` lines of a worker's jobs to their own logs: one call per job per tick, one call
 * at a time per job (so lines keep their order even when a script call has to be sent again after
 * NOSCRIPT), the newest lines the job keeps held while a call is in flight.
 */
export class JobLogWriter {
  /** Failed writes since the last warning: an outage fails every job's, and one warning a while says it. */
  private failed = 0;
  private warnedAt = -Infinity;

  constructor(
    private readonly store: JobStore,
    private readonly warn: (error: unknown, message: string) => void,
    private readonly warnEveryMs = 10_000,
  ) {}

  readonly record = (entry: Running, line: string): void => {
    const first = entry.logLines === undefined;
    const lines = (entry.logLines ??= []);
    lines.push(line);
    if (lines.length > entry.logKeep) lines.shift();
    if (first) process.nextTick(this.flush, entry);
  };

  /**
   * Resolves once every line the job has logged so far is written (or given up). A job's outcome waits
   * for this: once the outcome is in, the lease is gone and a late line would be refused.
   */
  written(entry: Running): Promise<void> | undefined {
    this.flush(entry);
    return entry.logWrite;
  }

  private readonly flush = (entry: Running): void => {
    // A write in flight takes the lines logged meanwhile when it ends.
    if (!entry.logLines || entry.logWrite) return;
    entry.logWrite = this.write(entry);
  };

  private async write(entry: Running): Promise<void> {
    for (let lines = entry.logLines; lines; lines = entry.logLines) {
      entry.logLines = undefined;
      await this.store
        .appendLogs(entry.queue, entry.job.localId, entry.job.token, lines, entry.logKeep)
        .catch((error: unknown) => this.failedWrite(error));
    }
    entry.logWrite = undefined;
  }

  private failedWrite(error: unknown): void {
    this.failed++;
    const now = Date.now();
    if (now - this.warnedAt < this.warnEveryMs) return;
    this.warn(
      error,
      `keeping job log lines failed (${this.failed} writes since the last warning; their lines are lost)`,
    );
    this.warnedAt = now;
    this.failed = 0;
  }
}

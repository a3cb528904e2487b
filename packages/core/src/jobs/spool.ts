import { BackplaneError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobStore, NewJob } from './store.js';

interface Spooled {
  queue: string;
  job: NewJob;
  spooledAt: number;
}

/**
 * Jobs accepted while Redis was down, kept in process memory (bounded) and written in their original
 * order once Redis answers again. While anything is spooled, new jobs queue behind it so order holds.
 * A process that dies loses what it spooled: the trade-off the `spool` policy accepts.
 */
export class EnqueueSpool {
  private readonly items: Spooled[] = [];
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: JobStore,
    private readonly maxSize: number,
    private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), 1000);
    this.timer.unref();
  }

  get size(): number {
    return this.items.length;
  }

  push(queue: string, jobs: readonly NewJob[]): void {
    if (this.items.length + jobs.length > this.maxSize) {
      throw new BackplaneError(
        'E_JOB_SPOOL_FULL',
        `Redis is unavailable and the enqueue spool is full (${this.maxSize} jobs)`,
        { details: { spooled: this.items.length } },
      );
    }
    const now = Date.now();
    for (const job of jobs) this.items.push({ queue, job, spooledAt: now });
  }

  find(queue: string, localId: string): Spooled | undefined {
    return this.items.find((item) => item.queue === queue && item.job.localId === localId);
  }

  /** Writes spooled jobs in order, in batches of one queue; stops at the first failure. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async drain(): Promise<void> {
    while (this.items.length > 0) {
      const queue = (this.items[0] as Spooled).queue;
      let end = 0;
      while (end < this.items.length && end < 500 && this.items[end]?.queue === queue) end++;
      const batch = this.items.slice(0, end);
      try {
        // A spooled job keeps its id; the delay it asked for counts from when it was spooled.
        const jobs = batch.map((item) => ({
          ...item.job,
          delayMs: Math.max(0, item.job.delayMs - (Date.now() - item.spooledAt)),
        }));
        await this.store.add(queue, jobs);
      } catch {
        return;
      }
      this.items.splice(0, end);
      this.logger.info({ queue, jobs: end, left: this.items.length }, 'jobs: spooled jobs written to Redis');
    }
  }
}

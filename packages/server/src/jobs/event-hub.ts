import type { Backplane, JobEvent, Logger } from 'backplane';

type Listener = (event: JobEvent) => void;

/**
 * One event reader per queue for the whole server process, fanned out to every SSE client and to the
 * job-status cache. A thousand browsers watching jobs cost one stream read per queue, not a thousand.
 */
export class JobEventHub {
  private readonly byJob = new Map<string, Set<Listener>>();
  private readonly everything = new Set<Listener>();
  private readonly readers = new Map<string, Promise<void>>();
  private readonly controller = new AbortController();

  constructor(
    private readonly backplane: Backplane,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts reading a queue (once). Resolves when the reader has a starting point: every event after
   * that reaches listeners, so a snapshot taken afterwards cannot miss one.
   */
  watchQueue(queue: string): Promise<void> {
    let ready = this.readers.get(queue);
    if (!ready) {
      ready = this.startReader(queue);
      this.readers.set(queue, ready);
      ready.catch(() => this.readers.delete(queue));
    }
    return ready;
  }

  get queues(): string[] {
    return [...this.readers.keys()];
  }

  onJob(jobId: string, listener: Listener): () => void {
    let set = this.byJob.get(jobId);
    if (!set) this.byJob.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.byJob.delete(jobId);
    };
  }

  onAny(listener: Listener): () => void {
    this.everything.add(listener);
    return () => this.everything.delete(listener);
  }

  close(): void {
    this.controller.abort();
  }

  private async startReader(queue: string): Promise<void> {
    const jobs = this.backplane.jobs;
    const start = await jobs.store.lastEventId(queue);
    const loop = async (): Promise<void> => {
      let lastEventId = start;
      while (!this.controller.signal.aborted) {
        try {
          for await (const event of jobs.queueEvents(queue, { lastEventId, signal: this.controller.signal })) {
            lastEventId = event.id;
            this.dispatch(event);
          }
          // The reader ends only once its signal aborts: this hub closed, or the jobs instance did.
          // Starting it again would return at once, forever: a loop of microtasks that starves the process.
          return;
        } catch (error) {
          if (this.controller.signal.aborted) return;
          this.logger.warn({ err: (error as Error).message, queue }, 'job event reader failed; restarting');
          await new Promise((resolve) => setTimeout(resolve, 500).unref());
        }
      }
    };
    void loop();
  }

  private dispatch(event: JobEvent): void {
    for (const listener of this.everything) safely(listener, event, this.logger);
    const listeners = this.byJob.get(event.jobId);
    if (listeners) for (const listener of [...listeners]) safely(listener, event, this.logger);
  }
}

function safely(listener: Listener, event: JobEvent, logger: Logger): void {
  try {
    listener(event);
  } catch (error) {
    logger.error({ err: error }, 'job event listener threw');
  }
}

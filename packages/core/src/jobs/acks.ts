import type { ClaimedJob, ClaimRequest, FinishItem, JobStore } from './store.js';
import type { JobState } from './types.js';

interface PendingAck {
  item: FinishItem;
  wantsNext: boolean;
  resolve: (reply: AckReply) => void;
}

export interface AckReply {
  /** The state recorded; undefined when the lease was lost or the outcome could not be written. */
  state: JobState | undefined;
  /** The job claimed for the slot this ack freed, if any. */
  next: ClaimedJob | undefined;
  /**
   * Set when this ack asked for a next job and the queue had none: when claiming is worth trying again
   * (ms timestamp; -1 = when woken). The worker then waits on the wake-up marker without a claim.
   */
  drainedUntil?: number;
}

const MAX_BATCH = 200;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Gathers the outcomes a worker records in one turn of the event loop into one script call per queue,
 * which also claims a next job for every slot that asked for one. Under load, 50 no-op jobs finishing
 * together cost one round trip and one script run instead of fifty.
 */
export class AckBatcher {
  private readonly pending = new Map<string, PendingAck[]>();
  private scheduled = false;

  constructor(
    private readonly store: JobStore,
    /** Built at flush time, so a worker that started closing claims nothing more. */
    private readonly claimRequest: (count: number) => ClaimRequest,
    private readonly onError: (error: unknown, message: string) => void,
  ) {}

  finish(queue: string, item: FinishItem, wantsNext: boolean): Promise<AckReply> {
    return new Promise((resolve) => {
      let list = this.pending.get(queue);
      if (!list) this.pending.set(queue, (list = []));
      list.push({ item, wantsNext, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    for (const [queue, list] of this.pending) {
      this.pending.delete(queue);
      for (let from = 0; from < list.length; from += MAX_BATCH)
        void this.send(queue, list.slice(from, from + MAX_BATCH));
    }
  }

  private async send(queue: string, batch: PendingAck[]): Promise<void> {
    const wanting = batch.filter((ack) => ack.wantsNext).length;
    // Redis may blip; a few tries keep the outcomes. If all fail, the leases expire and the jobs run
    // again: delivery is at least once.
    for (let attempt = 0; ; attempt++) {
      try {
        const reply = await this.store.finish(
          queue,
          batch.map((ack) => ack.item),
          this.claimRequest(wanting),
        );
        const next = [...reply.next.jobs];
        batch.forEach((ack, index) => {
          const job = ack.wantsNext ? next.shift() : undefined;
          const drained = ack.wantsNext && !job;
          ack.resolve({ state: reply.states[index], next: job, ...(drained && { drainedUntil: reply.next.nextAt }) });
        });
        return;
      } catch (error) {
        if (attempt >= 4) {
          this.onError(error, 'recording job outcomes failed; the leases will expire and the jobs run again');
          for (const ack of batch) ack.resolve({ state: undefined, next: undefined });
          return;
        }
        await sleep(100 * 2 ** attempt);
      }
    }
  }
}

import type { ClaimedJob, ClaimRequest, FinishItem, JobStore } from './store.js';
import type { JobState } from './types.js';

interface PendingAck {
  item: FinishItem;
  /** Jobs to claim with this ack: one for the slot it frees, more to refill the worker's buffer. */
  want: number;
  resolve: (reply: AckReply) => void;
}

export interface AckReply {
  /** The state recorded; undefined when the lease was lost or the outcome could not be written. */
  state: JobState | undefined;
  /** Jobs claimed for this ack (at most its `want`), in queue order. */
  next: ClaimedJob[];
  /**
   * Set when this ack asked for jobs and the queue had fewer: when claiming is worth trying again
   * (ms timestamp; -1 = when woken). The worker then waits on the wake-up marker without a claim.
   */
  drainedUntil?: number;
}

const MAX_BATCH = 200;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Gathers the outcomes a worker records into one script call per queue, which also claims the jobs
 * those acks ask for. Under load, 50 no-op jobs finishing together cost one round trip and one script
 * run instead of fifty. A batch goes out at the end of the event-loop turn (`setImmediate`: jobs that
 * end in different timer or I/O callbacks of one turn share it), sooner for a `lone` outcome (the
 * worker has nothing else running: `process.nextTick`, which saved a lone job ~0.1 ms at p50), or at
 * once when it reaches `flushAt` while Redis has work of this worker to overlap with (a batch in
 * flight, or a reply handled in this turn): then Redis records it while this process goes on running
 * jobs, instead of the two sides taking turns. Jobs that end together in a turn of their own (timers
 * firing at once) wait for the turn's end instead: a call sent mid-turn then only takes the core from
 * the jobs still to run in it.
 */
export class AckBatcher {
  private readonly pending = new Map<string, PendingAck[]>();
  private scheduled = false;
  /** Batches sent and not answered yet. */
  private inFlight = 0;
  /** A reply was handled in this turn of the event loop (cleared by setImmediate). */
  private afterReply = false;
  private readonly clearAfterReply = (): void => {
    this.afterReply = false;
  };

  constructor(
    private readonly store: JobStore,
    /** Built at send time, so a worker that started closing claims nothing more. */
    private readonly claimRequest: (count: number) => ClaimRequest,
    private readonly onError: (error: unknown, message: string) => void,
    private readonly flushAt: number = MAX_BATCH,
  ) {}

  finish(queue: string, item: FinishItem, want: number, lone = false): Promise<AckReply> {
    return new Promise((resolve) => {
      let list = this.pending.get(queue);
      if (!list) this.pending.set(queue, (list = []));
      list.push({ item, want, resolve });
      // A chunk goes out early while Redis is busy with an earlier one, or in the turn that handled a
      // reply (its jobs are ending now, more replies follow): the two sides then overlap. Jobs that
      // end together in a turn of their own (1 ms timers firing at once) send the whole turn's
      // outcomes in one call when the turn ends, while this process waits for its next timers.
      if (list.length >= MAX_BATCH || (list.length >= this.flushAt && (this.inFlight > 0 || this.afterReply))) {
        this.pending.delete(queue);
        void this.send(queue, list);
        return;
      }
      if (!this.scheduled) {
        this.scheduled = true;
        if (lone) process.nextTick(() => this.flush());
        else setImmediate(() => this.flush());
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
    this.inFlight++;
    try {
      await this.sendBatch(queue, batch);
    } finally {
      this.inFlight--;
    }
  }

  private async sendBatch(queue: string, batch: PendingAck[]): Promise<void> {
    let wanted = 0;
    for (const ack of batch) wanted += ack.want;
    // Redis may blip; a few tries keep the outcomes. If all fail, the leases expire and the jobs run
    // again: delivery is at least once.
    for (let attempt = 0; ; attempt++) {
      try {
        const items: FinishItem[] = [];
        for (const ack of batch) items.push(ack.item);
        const reply = await this.store.finish(queue, items, this.claimRequest(wanted));
        if (!this.afterReply) {
          this.afterReply = true;
          setImmediate(this.clearAfterReply);
        }
        const claimed = reply.next.jobs;
        let taken = 0;
        for (let index = 0; index < batch.length; index++) {
          const ack = batch[index] as PendingAck;
          const next = claimed.slice(taken, taken + ack.want);
          taken += next.length;
          const state = reply.states[index];
          if (next.length < ack.want) ack.resolve({ state, next, drainedUntil: reply.next.nextAt });
          else ack.resolve({ state, next });
        }
        return;
      } catch (error) {
        if (attempt >= 4) {
          this.onError(error, 'recording job outcomes failed; the leases will expire and the jobs run again');
          for (const ack of batch) ack.resolve({ state: undefined, next: [] });
          return;
        }
        await sleep(100 * 2 ** attempt);
      }
    }
  }
}

import type { Logger } from '../logger.js';
import { BATCH, BLOCK_MS, sleep } from './event-ids.js';
import type { JobStore, RawEvent } from './store.js';

/**
 * One reader of a queue's event stream per `Jobs` instance, shared by every `events()` and
 * `queueEvents()` iterator of that queue: a thousand SSE clients following jobs cost one blocking
 * connection and one stream read per queue, not a thousand of each (each read on a busy queue would
 * also carry every other job's events).
 *
 * A subscription receives every event the reader takes after the moment it subscribed (`from`); what
 * came before is read from the stream by the iterator itself (see events.ts). A subscriber that falls
 * more than `maxBuffered` events behind is cut loose (`lagged`) instead of buffering without bound: it
 * reads the stream again from its last event, then subscribes anew.
 */
export interface EventTailsOptions {
  /** How long a reader with no subscriber keeps reading, for the next one to come. */
  lingerMs?: number;
  /** Events held for one subscriber before it is cut loose. */
  maxBuffered?: number;
}

export class EventTails {
  private readonly tails = new Map<string, QueueTail>();
  private readonly lingerMs: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly store: JobStore,
    private readonly logger: Logger,
    options: EventTailsOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? 5000;
    this.maxBuffered = options.maxBuffered ?? 1000;
  }

  /** Subscribes to a queue's new events, or only one job's (`localId`). Close the subscription when done. */
  subscribe(queue: string, localId?: string): TailSubscription {
    let tail = this.tails.get(queue);
    if (!tail) {
      tail = new QueueTail(this.store, queue, this.logger, this.lingerMs, () => {
        if (this.tails.get(queue) === tail) this.tails.delete(queue);
      });
      this.tails.set(queue, tail);
    }
    return tail.subscribe(localId, this.maxBuffered);
  }

  /** Queues with a running reader (for tests and introspection). */
  get queues(): string[] {
    return [...this.tails.keys()];
  }

  close(): void {
    for (const tail of this.tails.values()) tail.stop();
    this.tails.clear();
  }
}

export class TailSubscription {
  /** The reader's position when this subscribed: every later event comes through `next`. */
  from: string | undefined;
  private readonly buffer: RawEvent[] = [];
  private head = 0;
  private lagged = false;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    readonly localId: string | undefined,
    private readonly maxBuffered: number,
    /** Resolves once `from` is known; rejects when the reader could not start. */
    readonly ready: Promise<void>,
    private readonly leave: (subscription: TailSubscription) => void,
  ) {}

  /** From the reader: one event for this subscriber. */
  push(raw: RawEvent): void {
    if (this.buffer.length - this.head >= this.maxBuffered) {
      this.lagged = true;
      this.buffer.length = 0;
      this.head = 0;
      this.close();
    } else {
      this.buffer.push(raw);
    }
    this.notify();
  }

  /**
   * The next event; 'lagged' when this subscriber was cut loose (read the stream, then subscribe again);
   * undefined once the signal aborts or the reader stopped.
   */
  async next(signal: AbortSignal): Promise<RawEvent | 'lagged' | undefined> {
    for (;;) {
      if (this.head < this.buffer.length) {
        const raw = this.buffer[this.head] as RawEvent;
        this.head += 1;
        if (this.head === this.buffer.length) {
          this.buffer.length = 0;
          this.head = 0;
        }
        return raw;
      }
      if (this.lagged) return 'lagged';
      if (this.closed || signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.leave(this);
    this.notify();
  }

  private notify(): void {
    this.wake?.();
  }
}

class QueueTail {
  /** The id of the last event taken (or the stream's last id when the reader started). */
  private position: string | undefined;
  private readonly ready: Promise<void>;
  /** Subscribers to every event, and to one job's, by local id. */
  private readonly everything = new Set<TailSubscription>();
  private readonly byJob = new Map<string, Set<TailSubscription>>();
  private count = 0;
  private idleSince = 0;
  private stopped = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly store: JobStore,
    private readonly queue: string,
    private readonly logger: Logger,
    private readonly lingerMs: number,
    private readonly onStop: () => void,
  ) {
    this.ready = this.store.lastEventId(queue).then((id) => {
      this.position = id;
      for (const subscription of this.all()) subscription.from ??= id;
      void this.loop();
    });
    this.ready.catch(() => this.stop());
  }

  subscribe(localId: string | undefined, maxBuffered: number): TailSubscription {
    const subscription = new TailSubscription(localId, maxBuffered, this.ready, (gone) => this.remove(gone));
    subscription.from = this.position;
    if (localId === undefined) {
      this.everything.add(subscription);
    } else {
      let set = this.byJob.get(localId);
      if (!set) this.byJob.set(localId, (set = new Set()));
      set.add(subscription);
    }
    this.count += 1;
    return subscription;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.controller.abort();
    this.onStop();
    for (const subscription of this.all()) subscription.close();
  }

  private remove(subscription: TailSubscription): void {
    const set = subscription.localId === undefined ? this.everything : this.byJob.get(subscription.localId);
    if (!set?.delete(subscription)) return;
    if (subscription.localId !== undefined && set.size === 0) this.byJob.delete(subscription.localId);
    this.count -= 1;
    if (this.count === 0) this.idleSince = Date.now();
  }

  private *all(): Generator<TailSubscription> {
    yield* this.everything;
    for (const set of this.byJob.values()) yield* set;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      // Stopping between reads, not by aborting one, leaves its connection reusable.
      if (this.count === 0 && Date.now() - this.idleSince >= this.lingerMs) {
        this.stop();
        return;
      }
      let batch: RawEvent[];
      try {
        batch = await this.store.readEvents(
          this.queue,
          this.position as string,
          BATCH,
          BLOCK_MS,
          this.controller.signal,
        );
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ err: (error as Error).message, queue: this.queue }, 'jobs: reading events failed; retrying');
        await sleep(500);
        continue;
      }
      for (const raw of batch) {
        this.position = raw.id;
        for (const subscription of this.everything) subscription.push(raw);
        const forJob = this.byJob.get(raw.localId);
        if (forJob) for (const subscription of [...forJob]) subscription.push(raw);
      }
    }
  }
}

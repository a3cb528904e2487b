import type { Logger } from '../logger.js';
import { SharedDeadlines } from './deadlines.js';
import { BATCH, BLOCK_MS, sleep } from './event-ids.js';
import { toEvent, toRecord, TERMINAL_EVENTS, type LocalIdSource } from './records.js';
import type { JobStore, RawEvent } from './store.js';
import type { JobEvent } from './types.js';

const LINGER_MS = 10_000;
/** Bounds on the final events kept for jobs nobody waits on yet (see EventHub.early). */
const EARLY_MAX_EVENTS = 1000;
const EARLY_MAX_BYTES = 1 << 20;

type Listener = (event: JobEvent) => void;

/**
 * One listener per queue shared by every `waitForResult` of this process, started before the waiter
 * looks at the job, so a completion can never fall between the look and the subscription. On a store
 * with `onFinished` (Redis) it hears only final events (one message per finished job, no stream read
 * per event of the queue), and re-checks its jobs after a reconnect; otherwise it reads the stream.
 */
export class EventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly controller = new AbortController();
  private readonly readiness: Promise<void>;
  private stopped = false;
  private lingering: NodeJS.Timeout | undefined;
  /** When the last listener left (the hub stops LINGER_MS after, if none came back). */
  private idleSince = 0;
  private isReady = false;
  /** The deadlines of this hub's waiters, on one timer. */
  readonly deadlines = new SharedDeadlines();
  private unsubscribe: (() => Promise<void>) | undefined;
  /**
   * Jobs of `ids` numbered from here on were created while this hub was hearing every final event, so
   * their end reaches it: a waiter need not read the job first. Raised after a gap in the subscription
   * and when an early event is dropped; Infinity until the hub is ready.
   */
  private coveredFrom = Infinity;
  /** Final events of covered jobs that ended before anyone waited on them (bounded; oldest dropped). */
  private readonly early = new Map<string, RawEvent>();
  private earlyBytes = 0;

  constructor(
    private readonly store: JobStore,
    private readonly queue: string,
    private readonly logger: Logger,
    private readonly onIdle: () => void,
    private readonly ids?: LocalIdSource,
  ) {
    if (this.store.onFinished) {
      this.readiness = this.store
        .onFinished(
          queue,
          (raw) => this.dispatch(raw),
          () => {
            this.uncoverUpToNow();
            void this.recheck();
          },
        )
        .then((unsubscribe) => {
          if (this.stopped) void unsubscribe();
          else this.unsubscribe = unsubscribe;
          this.coverFromNow();
          this.isReady = true;
        });
    } else {
      this.readiness = this.store.lastEventId(queue).then((id) => {
        this.coverFromNow();
        this.isReady = true;
        void this.loop(id);
      });
    }
    this.readiness.catch(() => this.stop());
  }

  /**
   * For a job this hub covers: its final event if it came before the caller listened (taken out),
   * else null — then the event is still to come. Undefined when the hub does not cover the job and
   * the caller must read it. Call after `listen` resolved.
   */
  takeEarly(localId: string): JobEvent | null | undefined {
    const number = this.ids?.numberOf(localId);
    if (number === undefined || number < this.coveredFrom) return undefined;
    const raw = this.early.get(localId);
    if (!raw) return null;
    this.early.delete(localId);
    this.earlyBytes -= raw.data?.length ?? 0;
    return toEvent(this.queue, raw);
  }

  private coverFromNow(): void {
    if (this.ids && this.coveredFrom === Infinity) this.coveredFrom = this.ids.upcoming;
  }

  /** Events may have been lost: jobs made so far are read by their waiters again. */
  private uncoverUpToNow(): void {
    if (!this.ids) return;
    this.coveredFrom = Math.max(this.coveredFrom === Infinity ? 0 : this.coveredFrom, this.ids.upcoming);
    this.early.clear();
    this.earlyBytes = 0;
  }

  private keepEarly(raw: RawEvent): void {
    const number = this.ids?.numberOf(raw.localId);
    if (number === undefined || number < this.coveredFrom || !TERMINAL_EVENTS.has(raw.type)) return;
    this.early.set(raw.localId, raw);
    this.earlyBytes += raw.data?.length ?? 0;
    while (this.early.size > EARLY_MAX_EVENTS || this.earlyBytes > EARLY_MAX_BYTES) {
      const [localId, dropped] = this.early.entries().next().value as [string, RawEvent];
      this.early.delete(localId);
      this.earlyBytes -= dropped.data?.length ?? 0;
      // Its waiter, if one comes, must read the job: stop covering every job up to the dropped one.
      this.coveredFrom = Math.max(this.coveredFrom, (this.ids?.numberOf(localId) ?? 0) + 1);
    }
  }

  /** Resolves once the hub reads from a known point; every event after it reaches listeners. */
  async listen(jobId: string, listener: Listener): Promise<() => void> {
    const unlisten = this.listenNow(jobId, listener);
    if (this.isReady) return unlisten;
    try {
      await this.readiness;
    } catch (error) {
      unlisten();
      throw error;
    }
    return unlisten;
  }

  /** `listen` for a hub that is `ready`, without a promise. */
  listenNow(jobId: string, listener: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
      if (this.listeners.size === 0) this.lingerThenStop();
    };
  }

  /** Whether the hub reads from a known point already (then `listenNow` may be used). */
  get ready(): boolean {
    return this.isReady;
  }

  /**
   * An idle hub keeps reading for a while: a caller waiting on job after job (a request per job) then
   * reuses it instead of paying a new blocking connection each time.
   */
  private lingerThenStop(): void {
    this.idleSince = Date.now();
    if (!this.lingering) this.armLinger(LINGER_MS);
  }

  private armLinger(ms: number): void {
    this.lingering = setTimeout(() => {
      this.lingering = undefined;
      // In use again: the next time it goes idle arms this anew.
      if (this.listeners.size > 0) return;
      const left = this.idleSince + LINGER_MS - Date.now();
      if (left > 0) this.armLinger(left);
      else this.stop();
    }, ms);
    this.lingering.unref();
  }

  get closed(): boolean {
    return this.stopped;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.lingering);
    // Deadlines stay: a waiter still waiting when the hub stops gets its E_TIMEOUT on time.
    this.early.clear();
    this.controller.abort();
    void this.unsubscribe?.();
    this.onIdle();
  }

  private dispatch(raw: RawEvent): void {
    const set = this.listeners.get(toEventJobId(this.queue, raw.localId));
    if (!set) {
      this.keepEarly(raw);
      return;
    }
    const event = toEvent(this.queue, raw);
    for (const listener of [...set]) listener(event);
  }

  /** After a gap in the subscription: a job that finished meanwhile is told from its record. */
  private async recheck(): Promise<void> {
    const localIds = [...this.listeners.keys()].map((jobId) => jobId.slice(this.queue.length + 1));
    if (localIds.length === 0) return;
    try {
      const raws = await this.store.getMany(this.queue, localIds);
      raws.forEach((raw, index) => {
        const localId = localIds[index] as string;
        if (!raw) return this.dispatch({ id: '', localId, type: 'removed', data: undefined });
        const record = toRecord(this.queue, raw);
        if (record.state !== 'completed' && record.state !== 'failed' && record.state !== 'cancelled') return;
        const data = record.state === 'completed' ? record.result : record.error;
        this.dispatch({
          id: '',
          localId,
          type: record.state,
          data: data === undefined ? undefined : JSON.stringify(data),
        });
      });
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, queue: this.queue }, 'jobs: event hub re-check failed');
    }
  }

  private async loop(startId: string): Promise<void> {
    let lastId = startId;
    const signal = this.controller.signal;
    while (!signal.aborted) {
      try {
        const batch = await this.store.readEvents(this.queue, lastId, BATCH, BLOCK_MS, signal);
        for (const raw of batch) {
          lastId = raw.id;
          this.dispatch(raw);
        }
      } catch (error) {
        this.logger.warn({ err: (error as Error).message, queue: this.queue }, 'jobs: event hub read failed');
        await sleep(500);
      }
    }
  }
}

const toEventJobId = (queue: string, localId: string): string => `${queue}:${localId}`;

import { EventEmitter } from 'node:events';
import { compareEventIds } from './event-ids.js';
import { MemoryQueue } from './memory-queue.js';
import type {
  BulkAction,
  BulkState,
  BulkStep,
  ClaimBatch,
  ClaimRequest,
  FinishItem,
  FinishReply,
  JobStore,
  JobStoreOptions,
  LeaseStatus,
  NewJob,
  RawEvent,
  RawJob,
  RawLogPage,
} from './store.js';
import type { JobState, WorkerInfo } from './types.js';

type CountableState = Exclude<JobState, 'spooled'>;

/**
 * The job engine in process memory: the embedded default. Same transitions as the Redis engine (see
 * MemoryQueue); everything lives and dies with the process.
 */
export class MemoryJobStore implements JobStore {
  readonly kind = 'memory' as const;
  private readonly queues = new Map<string, MemoryQueue>();
  /** Per queue: a pending wake-up, like the Redis marker list, consumed by one waiting worker. */
  private readonly markers = new Set<string>();
  private readonly signals = new EventEmitter();
  private readonly workers = new Map<string, WorkerInfo>();
  private readonly options: JobStoreOptions;

  constructor(options: JobStoreOptions) {
    this.options = options;
    this.signals.setMaxListeners(0);
  }

  async add(queue: string, jobs: readonly NewJob[]): Promise<string[]> {
    return this.queue(queue).add(jobs, Date.now());
  }

  async claim(queue: string, request: ClaimRequest): Promise<ClaimBatch> {
    return this.queue(queue).claim(request, Date.now());
  }

  async finish(queue: string, items: readonly FinishItem[], next: ClaimRequest): Promise<FinishReply> {
    const q = this.queue(queue);
    const states = items.map((item) => q.finish(item.localId, item.token, item.outcome, Date.now()));
    return { states, next: q.claim(next, Date.now()) };
  }

  async extend(
    queue: string,
    leases: ReadonlyArray<{ localId: string; token: string }>,
    leaseMs: number,
  ): Promise<LeaseStatus[]> {
    const q = this.queue(queue);
    return leases.map((lease) => q.extend(lease.localId, lease.token, leaseMs, Date.now()));
  }

  async progress(queue: string, localId: string, token: string, progress: string): Promise<boolean> {
    return this.queue(queue).progress(localId, token, progress, Date.now());
  }

  async appendLogs(
    queue: string,
    localId: string,
    token: string,
    lines: readonly string[],
    keep: number,
  ): Promise<boolean> {
    return this.queue(queue).appendLogs(localId, token, lines, keep);
  }

  async readLogs(queue: string, localId: string, offset: number, count: number): Promise<RawLogPage | undefined> {
    return this.queues.get(queue)?.readLogs(localId, offset, count);
  }

  async maintain(queue: string): Promise<number> {
    return this.queue(queue).maintain(Date.now());
  }

  async waitForWork(queue: string, timeoutMs: number, signal: AbortSignal): Promise<undefined> {
    // In one process a wake-up costs nothing: no hand-off here.
    if (this.markers.delete(queue) || signal.aborted) return undefined;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.signals.off(`wake:${queue}`, onWake);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const onWake = (): void => {
        if (this.markers.delete(queue)) done();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      this.signals.on(`wake:${queue}`, onWake);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async cancel(queue: string, localId: string, graceMs: number): Promise<JobState | undefined> {
    return this.queue(queue).cancel(localId, graceMs, Date.now(), () => this.signals.emit('cancel', queue, localId));
  }

  async retry(queue: string, localId: string): Promise<JobState | undefined> {
    return this.queue(queue).retry(localId, Date.now());
  }

  async promote(queue: string, localId: string): Promise<JobState | undefined> {
    return this.queue(queue).promote(localId, Date.now());
  }

  async remove(queue: string, localId: string): Promise<JobState | undefined> {
    return this.queue(queue).remove(localId, Date.now());
  }

  async changeMany(
    queue: string,
    action: BulkAction,
    state: BulkState,
    name: string | undefined,
    offset: number,
    count: number,
  ): Promise<BulkStep> {
    const q = this.queues.get(queue);
    if (!q) return { scanned: 0, changed: 0, dropped: 0 };
    const ids = q[state].range(offset, count);
    const now = Date.now();
    let changed = 0;
    for (const localId of ids) {
      if (name !== undefined && q.jobs.get(localId)?.n !== name) continue;
      if (action === 'retry') q.retry(localId, now);
      else q.remove(localId, now);
      changed += 1;
    }
    return { scanned: ids.length, changed, dropped: 0 };
  }

  async removeWaiting(queue: string, localIds: readonly string[], name: string | undefined): Promise<BulkStep> {
    const q = this.queues.get(queue);
    const step = { scanned: localIds.length, changed: 0, dropped: 0 };
    if (!q) return { ...step, dropped: localIds.length };
    const now = Date.now();
    for (const localId of localIds) {
      const fields = q.jobs.get(localId);
      if (fields?.s !== 'waiting') step.dropped += 1;
      else if (name === undefined || fields.n === name) {
        q.remove(localId, now);
        step.changed += 1;
      }
    }
    return step;
  }

  async getOutcome(queue: string, localId: string): Promise<{ s: string; r?: string; e?: string } | undefined> {
    const fields = this.queues.get(queue)?.jobs.get(localId);
    if (!fields?.s) return undefined;
    const outcome: { s: string; r?: string; e?: string } = { s: fields.s };
    if (fields.r !== undefined) outcome.r = fields.r;
    if (fields.e !== undefined) outcome.e = fields.e;
    return outcome;
  }

  async get(queue: string, localId: string): Promise<RawJob | undefined> {
    const fields = this.queues.get(queue)?.jobs.get(localId);
    return fields ? { localId, fields: { ...fields } } : undefined;
  }

  async getMany(queue: string, localIds: readonly string[]): Promise<Array<RawJob | undefined>> {
    return Promise.all(localIds.map((localId) => this.get(queue, localId)));
  }

  async listIds(queue: string, state: CountableState, offset: number, count: number): Promise<string[]> {
    const q = this.queues.get(queue);
    if (!q) return [];
    if (state === 'waiting') return q.waitingIds(offset, count);
    const sets = {
      delayed: q.delayed,
      active: q.active,
      completed: q.completed,
      failed: q.failed,
      cancelled: q.cancelled,
    };
    return sets[state].range(offset, count);
  }

  async counts(queue: string): Promise<Record<CountableState, number>> {
    const q = this.queues.get(queue);
    if (!q) return { waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, cancelled: 0 };
    return {
      waiting: q.waitingCount(),
      delayed: q.delayed.size,
      active: q.active.size,
      completed: q.completed.size,
      failed: q.failed.size,
      cancelled: q.cancelled.size,
    };
  }

  async readEvents(
    queue: string,
    afterId: string,
    count: number,
    blockMs: number,
    signal?: AbortSignal,
  ): Promise<RawEvent[]> {
    const q = this.queue(queue);
    const after = afterId === '$' ? (q.events.at(-1)?.id ?? '0-0') : afterId;
    const read = (): RawEvent[] => {
      const from = firstEventAt(q.events, after, false);
      return q.events.slice(from, from + count);
    };
    const found = read();
    if (found.length > 0 || blockMs <= 0 || signal?.aborted) return found;
    return await new Promise<RawEvent[]>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.signals.off(`event:${queue}`, onEvent);
        signal?.removeEventListener('abort', finish);
        resolve(read());
      };
      const onEvent = (): void => finish();
      const timer = setTimeout(finish, blockMs);
      timer.unref();
      this.signals.on(`event:${queue}`, onEvent);
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  async readEventsBackward(
    queue: string,
    beforeId: string | undefined,
    sinceId: string,
    count: number,
  ): Promise<RawEvent[]> {
    const events = this.queues.get(queue)?.events ?? [];
    const end = beforeId === undefined ? events.length : firstEventAt(events, beforeId, true);
    const found: RawEvent[] = [];
    for (let i = end - 1; i >= 0 && found.length < count; i--) {
      const event = events[i] as RawEvent;
      if (compareEventIds(event.id, sinceId) < 0) break;
      found.push(event);
    }
    return found;
  }

  async lastEventId(queue: string): Promise<string> {
    return this.queues.get(queue)?.events.at(-1)?.id ?? '0-0';
  }

  async setPaused(queue: string, paused: boolean): Promise<void> {
    this.queue(queue).paused = paused;
    if (!paused) this.wake(queue);
  }

  async isPaused(queue: string): Promise<boolean> {
    return this.queues.get(queue)?.paused ?? false;
  }

  async onCancel(
    queues: readonly string[],
    onCancel: (queue: string, localId: string) => void,
  ): Promise<() => Promise<void>> {
    const wanted = new Set(queues);
    const listener = (queue: string, localId: string): void => {
      if (wanted.has(queue)) onCancel(queue, localId);
    };
    this.signals.on('cancel', listener);
    return async () => {
      this.signals.off('cancel', listener);
    };
  }

  async registerQueue(queue: string): Promise<void> {
    this.queue(queue);
  }

  async listQueues(): Promise<string[]> {
    return [...this.queues.keys()].sort();
  }

  async registerWorker(info: WorkerInfo): Promise<void> {
    this.workers.set(info.id, structuredClone(info));
  }

  async unregisterWorker(id: string): Promise<void> {
    this.workers.delete(id);
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    return [...this.workers.values()].map((info) => structuredClone(info)).sort((a, b) => a.startedAt - b.startedAt);
  }

  async close(): Promise<void> {
    this.signals.removeAllListeners();
  }

  private wake(queue: string): void {
    this.markers.add(queue);
    this.signals.emit(`wake:${queue}`);
  }

  private queue(name: string): MemoryQueue {
    let q = this.queues.get(name);
    if (!q) {
      q = new MemoryQueue(this.options, {
        wake: () => this.wake(name),
        event: () => this.signals.emit(`event:${name}`),
      });
      this.queues.set(name, q);
    }
    return q;
  }
}

/**
 * Index of the first event after `id` (or at it, with `inclusive`): ids only grow, so a binary search
 * rather than a scan of every event.
 */
function firstEventAt(events: readonly RawEvent[], id: string, inclusive: boolean): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const order = compareEventIds((events[middle] as RawEvent).id, id);
    if (order > 0 || (inclusive && order === 0)) high = middle;
    else low = middle + 1;
  }
  return low;
}

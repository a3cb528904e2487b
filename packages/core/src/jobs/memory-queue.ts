import { MemoryReady } from './memory-ready.js';
import { SortedSet } from './memory-structures.js';
import type {
  ClaimBatch,
  ClaimedJob,
  ClaimRequest,
  JobStoreOptions,
  NewJob,
  Outcome,
  RawEvent,
  RawLogPage,
  RetentionRule,
} from './store.js';
import type { JobState } from './types.js';

type Fields = Record<string, string>;

const CANCELLED_ERROR = '{"message":"cancelled","code":"E_JOB_CANCELLED"}';
/** As in lua/jobs/includes/retention.lua: jobs kept without an age limit sort after the rest, still by finish time. */
const KEEP_FOREVER_MS = 2 ** 44;

/**
 * One queue of the memory store: the same data and the same transitions as lua/jobs/*.lua, method for
 * script, so both backends pass one conformance suite. Keep the two in step when changing either.
 */
export class MemoryQueue {
  readonly jobs = new Map<string, Fields>();
  readonly delayed = new SortedSet();
  readonly active = new SortedSet();
  readonly completed = new SortedSet();
  readonly failed = new SortedSet();
  readonly cancelled = new SortedSet();
  readonly events: RawEvent[] = [];
  paused = false;
  private readonly idempotency = new Map<string, string>();
  /** Jobs' own logs (see append-log-1.lua), removed with their jobs. */
  private readonly logs = new Map<string, string[]>();
  private rate = { used: 0, resetAt: 0 };
  private lastEventMs = 0;
  private eventSeq = 0;

  private readonly ready: MemoryReady;

  constructor(
    private readonly options: JobStoreOptions,
    /** Called when a sleeping worker should look for work, and when an event was appended. */
    private readonly notify: { wake(): void; event(): void },
  ) {
    this.ready = new MemoryReady(options.groupConcurrency, () => notify.wake());
  }

  add(jobs: readonly NewJob[], now: number): string[] {
    return jobs.map((job) => {
      if (job.idempotencyKey !== '') {
        const existing = this.idempotency.get(job.idempotencyKey);
        if (existing !== undefined && this.jobs.has(existing)) return existing;
      }
      const fields: Fields = { n: job.name, d: job.data, t: String(now) };
      if (job.priority > 0) fields.pr = String(job.priority);
      if (job.maxAttempts !== 1) fields.ma = String(job.maxAttempts);
      if (job.backoff !== '') fields.bo = job.backoff;
      if (job.timeoutMs !== 0) fields.to = String(job.timeoutMs);
      if (job.idempotencyKey !== '') {
        fields.ik = job.idempotencyKey;
        this.idempotency.set(job.idempotencyKey, job.localId);
      }
      if (job.group !== '') fields.g = job.group;
      if (job.keepCompletedMs !== undefined) fields.kc = String(job.keepCompletedMs);
      if (job.keepFailedMs !== undefined) fields.kf = String(job.keepFailedMs);
      this.jobs.set(job.localId, fields);
      const runAt = now + job.delayMs;
      if (runAt > now) {
        fields.s = 'delayed';
        fields.ra = String(runAt);
        this.delayed.add(job.localId, runAt);
        if (this.delayed.first()?.member === job.localId) this.notify.wake();
        this.emit(job.localId, 'delayed', String(runAt), now);
      } else {
        fields.s = 'waiting';
        this.ready.add(job.localId, job.priority, fields.g, false, now);
        this.emit(job.localId, 'waiting', undefined, now);
      }
      return job.localId;
    });
  }

  claim(request: ClaimRequest, now: number): ClaimBatch {
    const batch: ClaimBatch = { jobs: [], nextAt: -1 };
    let count = request.count;
    if (count <= 0 || this.paused) return batch;
    this.promoteDelayed(now, 100);
    const limit = request.rateLimit;
    if (limit && limit.max > 0) {
      if (now >= this.rate.resetAt) this.rate = { used: 0, resetAt: 0 };
      if (this.rate.used >= limit.max) {
        batch.nextAt = this.rate.resetAt;
        return batch;
      }
      count = Math.min(count, limit.max - this.rate.used);
    }
    for (let i = 1; i <= count; i++) {
      const localId = this.ready.take(i);
      if (localId === undefined) break;
      const fields = this.jobs.get(localId) as Fields;
      const token = String(Number(fields.c ?? 0) + 1);
      const attempt = Number(fields.at ?? 0) + 1;
      Object.assign(fields, { c: token, at: String(attempt), s: 'active', w: request.workerId, st: String(now) });
      this.active.add(localId, now + request.leaseMs);
      this.emit(localId, 'active', undefined, now);
      batch.jobs.push(toClaimed(localId, fields, token, attempt));
    }
    if (limit && limit.max > 0 && batch.jobs.length > 0) {
      if (this.rate.used === 0) this.rate.resetAt = now + limit.windowMs;
      this.rate.used += batch.jobs.length;
    }
    if (batch.jobs.length === count && this.ready.claimable() > 0) {
      this.notify.wake();
      batch.nextAt = 0;
    } else {
      const next = this.delayed.first();
      if (next) batch.nextAt = next.score;
    }
    return batch;
  }

  /** Returns the recorded state, or undefined when the lease was lost. */
  finish(localId: string, token: string, outcome: Outcome, now: number): JobState | undefined {
    const fields = this.jobs.get(localId);
    if (!fields || fields.c !== token || !this.active.remove(localId)) return undefined;
    const { retention } = this.options;
    let kind = outcome.kind;
    let payload = outcome.kind === 'completed' ? outcome.result : outcome.kind === 'release' ? '' : outcome.error;
    if (fields.cx !== undefined && kind !== 'release') {
      kind = 'cancelled';
      if (payload === '') payload = CANCELLED_ERROR;
    }
    let state: JobState;
    if (kind === 'completed') {
      Object.assign(fields, { s: 'completed', r: payload, ft: String(now) });
      this.emit(localId, 'completed', payload, now);
      if (this.keepFinished(this.completed, localId, fields.kc, retention.completed, now)) {
        this.trim(this.completed, retention.completed.keep, 10, now);
      }
      state = 'completed';
    } else if (kind === 'failed' || kind === 'cancelled') {
      const set = kind === 'failed' ? this.failed : this.cancelled;
      Object.assign(fields, { s: kind, e: payload, ft: String(now) });
      this.emit(localId, kind, payload, now);
      if (this.keepFinished(set, localId, fields.kf, retention.failed, now)) {
        this.trim(set, retention.failed.keep, 10, now);
      }
      state = kind;
    } else if (kind === 'retry') {
      const runAt = now + (outcome.kind === 'retry' ? outcome.delayMs : 0);
      fields.e = payload;
      if (runAt > now) {
        Object.assign(fields, { s: 'delayed', ra: String(runAt) });
        this.delayed.add(localId, runAt);
        if (this.delayed.first()?.member === localId) this.notify.wake();
        state = 'delayed';
      } else {
        fields.s = 'waiting';
        this.ready.add(localId, Number(fields.pr ?? 0), fields.g, false, now);
        state = 'waiting';
      }
      this.emit(localId, 'retrying', String(runAt), now);
    } else {
      fields.at = String(Number(fields.at ?? 1) - 1);
      fields.s = 'waiting';
      this.ready.add(localId, Number(fields.pr ?? 0), fields.g, true, now);
      this.emit(localId, 'waiting', undefined, now);
      state = 'waiting';
    }
    this.ready.release(fields.g, now);
    return state;
  }

  extend(localId: string, token: string, leaseMs: number, now: number): 0 | 1 | 2 {
    const fields = this.jobs.get(localId);
    if (!fields || fields.c !== token || this.active.score(localId) === undefined) return 0;
    let deadline = now + leaseMs;
    if (fields.cd === undefined) {
      this.active.add(localId, deadline);
      return 1;
    }
    deadline = Math.min(deadline, Number(fields.cd));
    this.active.add(localId, deadline);
    return 2;
  }

  progress(localId: string, token: string, progress: string, now: number): boolean {
    const fields = this.jobs.get(localId);
    if (!fields || fields.c !== token || this.active.score(localId) === undefined) return false;
    fields.pg = progress;
    this.emit(localId, 'progress', progress, now);
    return true;
  }

  appendLogs(localId: string, token: string, lines: readonly string[], keep: number): boolean {
    const fields = this.jobs.get(localId);
    if (!fields || fields.c !== token || this.active.score(localId) === undefined) return false;
    let log = this.logs.get(localId);
    if (!log) this.logs.set(localId, (log = []));
    log.push(...lines);
    if (log.length > keep) log.splice(0, log.length - keep);
    return true;
  }

  readLogs(localId: string, offset: number, count: number): RawLogPage | undefined {
    if (!this.jobs.has(localId)) return undefined;
    const log = this.logs.get(localId) ?? [];
    return { lines: log.slice(offset, offset + count), total: log.length };
  }

  maintain(now: number, limit = 500): number {
    let recovered = 0;
    for (const localId of this.active.upTo(now, limit)) {
      this.active.remove(localId);
      const fields = this.jobs.get(localId) as Fields;
      if (fields.cx !== undefined) {
        Object.assign(fields, { s: 'cancelled', ft: String(now), e: CANCELLED_ERROR });
        this.emit(localId, 'cancelled', undefined, now);
        this.keepFinished(this.cancelled, localId, fields.kf, this.options.retention.failed, now);
      } else if ((fields.sc = String(Number(fields.sc ?? 0) + 1)) && Number(fields.sc) > this.options.maxStalls) {
        const error = JSON.stringify({
          message: `the job stalled more than ${this.options.maxStalls} times`,
          code: 'E_JOB_STALLED',
        });
        Object.assign(fields, { s: 'failed', ft: String(now), e: error });
        this.emit(localId, 'failed', error, now);
        this.keepFinished(this.failed, localId, fields.kf, this.options.retention.failed, now);
      } else {
        fields.at = String(Number(fields.at ?? 1) - 1);
        fields.s = 'waiting';
        this.ready.add(localId, Number(fields.pr ?? 0), fields.g, true, now);
        this.emit(localId, 'stalled', undefined, now);
        recovered++;
      }
      this.ready.release(fields.g, now);
    }
    this.promoteDelayed(now, limit);
    const { retention } = this.options;
    this.trim(this.completed, retention.completed.keep, limit, now);
    this.trim(this.failed, retention.failed.keep, limit, now);
    this.trim(this.cancelled, retention.failed.keep, limit, now);
    return recovered;
  }

  /** Returns the state after the call; `publish` tells the worker running an active job. */
  cancel(localId: string, graceMs: number, now: number, publish: () => void): JobState | undefined {
    const fields = this.jobs.get(localId);
    if (!fields) return undefined;
    const state = fields.s as JobState;
    let removed = false;
    if (state === 'waiting') {
      removed = this.ready.remove(localId, fields.g);
    } else if (state === 'delayed') {
      removed = this.delayed.remove(localId);
    } else if (state === 'active') {
      if (fields.cx === undefined) {
        const deadline = now + graceMs;
        Object.assign(fields, { cx: '1', cd: String(deadline) });
        const current = this.active.score(localId);
        if (current !== undefined && current > deadline) this.active.add(localId, deadline);
        publish();
        this.emit(localId, 'cancelling', undefined, now);
      }
      return 'active';
    }
    if (!removed) return state;
    Object.assign(fields, { s: 'cancelled', ft: String(now), e: CANCELLED_ERROR });
    this.emit(localId, 'cancelled', CANCELLED_ERROR, now);
    if (this.keepFinished(this.cancelled, localId, fields.kf, this.options.retention.failed, now)) {
      this.trim(this.cancelled, this.options.retention.failed.keep, 10, now);
    }
    return 'cancelled';
  }

  retry(localId: string, now: number): JobState | undefined {
    const fields = this.jobs.get(localId);
    if (!fields) return undefined;
    const state = fields.s as JobState;
    if (state !== 'failed' && state !== 'cancelled') return state;
    (state === 'failed' ? this.failed : this.cancelled).remove(localId);
    for (const field of ['e', 'ft', 'cx', 'cd', 'sc', 'r', 'pg']) delete fields[field];
    fields.at = '0';
    this.toWaiting(localId, fields, now);
    return state;
  }

  promote(localId: string, now: number): JobState | undefined {
    const fields = this.jobs.get(localId);
    if (!fields) return undefined;
    const state = fields.s as JobState;
    if (state !== 'delayed') return state;
    this.delayed.remove(localId);
    fields.ra = String(now);
    this.toWaiting(localId, fields, now);
    return state;
  }

  remove(localId: string, now: number): JobState | undefined {
    const fields = this.jobs.get(localId);
    if (!fields) return undefined;
    const state = fields.s as JobState;
    if (state === 'active') return state;
    if (state === 'waiting') {
      this.ready.remove(localId, fields.g);
    }
    const sets: Partial<Record<JobState, SortedSet>> = {
      delayed: this.delayed,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
    };
    this.removeJob(sets[state] ?? this.delayed, localId);
    this.emit(localId, 'removed', undefined, now);
    return state;
  }

  waitingCount(): number {
    return this.ready.count();
  }

  /** Waiting jobs in listing order: prioritized, plain, then each group's list (groups by name). */
  waitingIds(offset: number, count: number): string[] {
    return this.ready.ids(offset, count);
  }

  private promoteDelayed(now: number, limit: number): void {
    for (const localId of this.delayed.upTo(now, limit)) {
      this.delayed.remove(localId);
      this.toWaiting(localId, this.jobs.get(localId) as Fields, now);
    }
  }

  /** A job that was delayed, failed or cancelled waits (again) where a claim finds it. */
  private toWaiting(localId: string, fields: Fields, now: number): void {
    fields.s = 'waiting';
    this.ready.add(localId, Number(fields.pr ?? 0), fields.g, false, now);
    this.emit(localId, 'waiting', undefined, now);
  }

  private removeJob(set: SortedSet, localId: string): void {
    const ik = this.jobs.get(localId)?.ik;
    if (ik !== undefined && this.idempotency.get(ik) === localId) this.idempotency.delete(ik);
    this.jobs.delete(localId);
    this.logs.delete(localId);
    set.remove(localId);
  }

  /**
   * Finished sets are scored by expiry, fixed at finish: the job's own retention (`override`, ms as
   * a string; '0' none, '-1' forever) or the queue's age (0: no age limit). Retention none removes the
   * job at once (its outcome went out in the event). Returns whether the job was kept.
   */
  private keepFinished(
    set: SortedSet,
    localId: string,
    override: string | undefined,
    rule: RetentionRule,
    now: number,
  ): boolean {
    if (override === '0' || (override === undefined && rule.ageMs === 0 && rule.keep === 0)) {
      this.removeJob(set, localId);
      return false;
    }
    const age = override === undefined ? rule.ageMs : Number(override);
    set.add(localId, now + (age > 0 ? age : KEEP_FOREVER_MS));
    return true;
  }

  private trim(set: SortedSet, keep: number, limit: number, now: number): void {
    for (const localId of set.upTo(now, limit)) this.removeJob(set, localId);
    if (keep >= 0 && set.size > keep) {
      for (const localId of set.range(0, Math.min(limit, set.size - keep))) this.removeJob(set, localId);
    }
  }

  private emit(localId: string, type: string, data: string | undefined, now: number): void {
    // Stream ids like Redis's: milliseconds-sequence, strictly increasing.
    if (now > this.lastEventMs) {
      this.lastEventMs = now;
      this.eventSeq = 0;
    } else {
      this.eventSeq++;
    }
    this.events.push({ id: `${this.lastEventMs}-${this.eventSeq}`, localId, type, data });
    if (this.events.length > this.options.eventsMaxLength * 1.1) {
      this.events.splice(0, this.events.length - this.options.eventsMaxLength);
    }
    this.notify.event();
  }
}

function toClaimed(localId: string, fields: Fields, token: string, attempt: number): ClaimedJob {
  return {
    localId,
    token,
    attempt,
    name: fields.n ?? '',
    data: fields.d ?? 'null',
    maxAttempts: Number(fields.ma ?? 1),
    backoff: fields.bo ?? '',
    timeoutMs: Number(fields.to ?? 0),
    createdAt: Number(fields.t ?? 0),
    group: fields.g,
  };
}

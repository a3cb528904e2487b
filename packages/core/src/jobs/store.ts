import type { JobState, WorkerInfo } from './types.js';

/**
 * The engine under `createJobs`: one interface, a Redis and a memory implementation, one conformance
 * suite (testing/jobs-suite.ts). Ids here are LOCAL to a queue; the facade turns them into public ids.
 * Payloads, results and errors are JSON strings: the store never parses them.
 */
export interface NewJob {
  localId: string;
  name: string;
  data: string;
  priority: number;
  maxAttempts: number;
  /** JSON of the backoff options, or '' */
  backoff: string;
  timeoutMs: number;
  delayMs: number;
  idempotencyKey: string;
  group: string;
  /** The job's own retention once completed, in ms (0 = none, -1 = forever); undefined: the queue's. */
  keepCompletedMs?: number | undefined;
  /** The same once failed or cancelled. */
  keepFailedMs?: number | undefined;
}

export interface ClaimedJob {
  localId: string;
  /** Fences every later write of this attempt: a worker that lost its lease cannot record an outcome. */
  token: string;
  attempt: number;
  name: string;
  data: string;
  maxAttempts: number;
  backoff: string;
  timeoutMs: number;
  createdAt: number;
  group: string | undefined;
}

export interface ClaimBatch {
  jobs: ClaimedJob[];
  /** When claiming again is worth it: 0 at once, -1 when woken (new work), else a time in ms. */
  nextAt: number;
  /**
   * The calling fetch loop is registered idle: new jobs are claimed for it and handed to it while it
   * waits (`waitForWork` with its token). Only stores that hand off set it.
   */
  registered?: boolean;
}

export interface ClaimRequest {
  workerId: string;
  count: number;
  leaseMs: number;
  rateLimit?: { max: number; windowMs: number } | undefined;
  /**
   * A fetch loop's idle token: ends its idle registration (jobs already handed to it come first in
   * the batch) and registers it again, waiting up to `waitMs`, when the queue has fewer jobs.
   */
  idle?: { token: string; waitMs: number } | undefined;
}

export type Outcome =
  | { kind: 'completed'; result: string }
  | { kind: 'failed'; error: string }
  | { kind: 'retry'; error: string; delayMs: number }
  | { kind: 'cancelled'; error: string }
  /** Handed back unfinished (worker shutdown): waiting again, no attempt used up. */
  | { kind: 'release' };

export interface FinishItem {
  localId: string;
  token: string;
  outcome: Outcome;
}

export interface FinishReply {
  /** Per item, the state recorded, or undefined when its lease was lost (nothing written). */
  states: Array<JobState | undefined>;
  next: ClaimBatch;
}

/** 1 renewed, 0 lost, 2 renewed but a cancellation is pending. */
export type LeaseStatus = 0 | 1 | 2;

export interface RawJob {
  localId: string;
  fields: Record<string, string>;
}

export type BulkAction = 'retry' | 'remove';
/** The states whose jobs can be retried (failed, cancelled) or removed (all four) in bulk. */
export type BulkState = 'delayed' | 'completed' | 'failed' | 'cancelled';

export interface BulkStep {
  /** Jobs looked at. */
  scanned: number;
  /** Jobs retried or removed (they left the state). */
  changed: number;
  /** Ids whose job was already gone, taken out of the state's index (they left it too). */
  dropped: number;
}

export interface RawEvent {
  id: string;
  localId: string;
  type: string;
  data: string | undefined;
}

export interface RetentionRule {
  /** 0 = no age limit */
  ageMs: number;
  /** -1 = no count limit */
  keep: number;
}

export interface StoreRetention {
  completed: RetentionRule;
  failed: RetentionRule;
}

export interface JobStoreOptions {
  retention: StoreRetention;
  /** @default 10000 */
  eventsMaxLength: number;
  /** @default 1 */
  groupConcurrency: number;
  /** Stalls a job survives before it fails with E_JOB_STALLED. */
  maxStalls: number;
}

/** A page of a job's own log as stored (JSON lines), and how many lines it holds. */
export interface RawLogPage {
  lines: string[];
  total: number;
}

export interface JobStore {
  readonly kind: 'redis' | 'memory';
  add(queue: string, jobs: readonly NewJob[]): Promise<string[]>;
  claim(queue: string, request: ClaimRequest): Promise<ClaimBatch>;
  /** Records outcomes (a batch of acks), then claims `next.count` jobs: one round trip. */
  finish(queue: string, items: readonly FinishItem[], next: ClaimRequest): Promise<FinishReply>;
  extend(
    queue: string,
    leases: ReadonlyArray<{ localId: string; token: string }>,
    leaseMs: number,
  ): Promise<LeaseStatus[]>;
  progress(queue: string, localId: string, token: string, progress: string): Promise<boolean>;
  /**
   * Appends lines to an active job's own log, fenced by the lease token, keeping the newest `keep`.
   * False when the lease was lost (nothing written).
   */
  appendLogs(queue: string, localId: string, token: string, lines: readonly string[], keep: number): Promise<boolean>;
  /** Up to `count` of a job's log lines from `offset` (oldest kept first), and how many it holds; undefined: no such job. */
  readLogs(queue: string, localId: string, offset: number, count: number): Promise<RawLogPage | undefined>;
  /** Stalled-lease recovery, delayed promotion and retention; returns jobs recovered. */
  maintain(queue: string): Promise<number>;
  /**
   * Resolves when work may have arrived, after `timeoutMs`, or when `signal` aborts; with the idle
   * token of a registered fetch loop, it may resolve with jobs claimed and handed to that loop.
   */
  waitForWork(
    queue: string,
    timeoutMs: number,
    signal: AbortSignal,
    idleToken?: string,
  ): Promise<ClaimBatch | undefined>;
  /** Returns the state after the call, or undefined when there is no such job. */
  cancel(queue: string, localId: string, graceMs: number): Promise<JobState | undefined>;
  /** Returns the state before the call, or undefined. */
  retry(queue: string, localId: string): Promise<JobState | undefined>;
  /** Makes a delayed job waiting now. Returns the state before the call, or undefined. */
  promote(queue: string, localId: string): Promise<JobState | undefined>;
  /** Returns the state before the call, or undefined; an active job is not removed. */
  remove(queue: string, localId: string): Promise<JobState | undefined>;
  /**
   * One step of a bulk retry or removal: of the jobs in `state` from rank `offset` (at most `count`),
   * those of task `name` (every one when undefined) are retried (failed and cancelled only) or removed.
   */
  changeMany(
    queue: string,
    action: BulkAction,
    state: BulkState,
    name: string | undefined,
    offset: number,
    count: number,
  ): Promise<BulkStep>;
  /**
   * One step of a bulk removal of waiting jobs: of `localIds` (a page of `listIds(queue, 'waiting')`),
   * those still waiting and of task `name` (any when undefined) are removed; `dropped` counts the ones
   * no longer waiting.
   */
  removeWaiting(queue: string, localIds: readonly string[], name: string | undefined): Promise<BulkStep>;
  get(queue: string, localId: string): Promise<RawJob | undefined>;
  /** State, result and error of a job (fields s, r, e), or undefined: what a waiter needs, without the rest. */
  getOutcome(queue: string, localId: string): Promise<{ s: string; r?: string; e?: string } | undefined>;
  getMany(queue: string, localIds: readonly string[]): Promise<Array<RawJob | undefined>>;
  /** Local ids in a state, oldest first (waiting: in claim order), from `offset`. */
  listIds(queue: string, state: Exclude<JobState, 'spooled'>, offset: number, count: number): Promise<string[]>;
  counts(queue: string): Promise<Record<Exclude<JobState, 'spooled'>, number>>;
  /** Events after `afterId` ('0' = from the start, '$' = only new ones); blocks up to `blockMs` if none. */
  readEvents(queue: string, afterId: string, count: number, blockMs: number, signal?: AbortSignal): Promise<RawEvent[]>;
  /**
   * Events newest first: before `beforeId` (exclusive; undefined = from the newest) and not older than
   * `sinceId`, at most `count`.
   */
  readEventsBackward(queue: string, beforeId: string | undefined, sinceId: string, count: number): Promise<RawEvent[]>;
  /** The id of the newest event, '0-0' when none. */
  lastEventId(queue: string): Promise<string>;
  setPaused(queue: string, paused: boolean): Promise<void>;
  isPaused(queue: string): Promise<boolean>;
  /**
   * Optional: calls `listener` with each final event (completed, failed, cancelled, removed; `id` is
   * '') of the queue's jobs, once subscribed. Delivery is best effort: `onGap` is called after a
   * reconnect, when messages may have been lost. Without it, waiters read the event stream.
   */
  onFinished?(queue: string, listener: (event: RawEvent) => void, onGap: () => void): Promise<() => Promise<void>>;
  /** Calls `onCancel` with the local id when a job of one of `queues` is cancelled while active. */
  onCancel(queues: readonly string[], onCancel: (queue: string, localId: string) => void): Promise<() => Promise<void>>;
  /** Records that a queue is in use (idempotent), so `listQueues` can name it. */
  registerQueue(queue: string): Promise<void>;
  listQueues(): Promise<string[]>;
  registerWorker(info: WorkerInfo): Promise<void>;
  unregisterWorker(id: string): Promise<void>;
  listWorkers(): Promise<WorkerInfo[]>;
  close(): Promise<void>;
}

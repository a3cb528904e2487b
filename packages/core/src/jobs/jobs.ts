import { BackplaneError, InvalidArgumentError, isBackplaneError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { toMilliseconds, type Duration } from '../util/duration.js';
import { EventHub } from './event-hub.js';
import { changeJobs, checkRemoveJobs, checkRetryJobs, type RemoveJobsOptions, type RetryJobsOptions } from './bulk.js';
import { checkLastEventId } from './event-ids.js';
import { EventTails } from './event-tail.js';
import { listJobPage, readJob, readOutcome, type ListJobsResult } from './introspection.js';
import { describeTasks, type TaskInfo } from './task-info.js';
import { readJobHistory, type GetHistoryOptions, type JobHistory } from './job-history.js';
import { readJobLogs, type GetLogsOptions, type JobLogOptions, type JobLogPage } from './job-log.js';
import { findRecentFinalEvent, readJobEvents, readQueueEvents } from './events.js';
import { MemoryJobStore } from './memory-store.js';
import { createJobsMetrics, registerQueueGauge, type JobsMetrics } from './metrics.js';
import { buildJob, checkQueueName, checkTaskDefaults, DEFAULT_QUEUE } from './options.js';
import { LocalIdSource, parseJobId, publicId } from './records.js';
import { RedisJobStore } from './redis-store.js';
import { EnqueueSpool } from './spool.js';
import type { JobStore, NewJob } from './store.js';
import type { Task, TaskDefinition, TaskHandler } from './tasks.js';
import type { JobEvent, JobOptions, JobRecord, JobState, ListJobsOptions, TaskDefaults, WorkerInfo } from './types.js';
import { waitOnHub } from './wait.js';
import { Worker, type WorkerOptions } from './worker.js';
import { resolveJobsOptions, type JobsOptions } from './jobs-options.js';

export type { JobsOptions } from './jobs-options.js';

export type { ListJobsResult } from './introspection.js';

/** Durable background jobs: a task registry, producers, workers, events and introspection. */
export class Jobs {
  readonly store: JobStore;
  private readonly tasks = new Map<string, TaskDefinition>();
  private readonly logger: Logger;
  private readonly metrics: JobsMetrics | undefined;
  private readonly cancelGraceMs: number;
  private readonly jobLog: Required<JobLogOptions>;
  private readonly workers = new Set<Worker>();
  private readonly hubs = new Map<string, EventHub>();
  /** One event stream reader per queue, shared by every `events()` and `queueEvents()` iterator. */
  private readonly tails: EventTails;
  /** Ids of the jobs this instance creates: its event hubs know them, so waiting on one reads nothing. */
  private readonly ids = new LocalIdSource();
  private readonly knownQueues = new Set<string>();
  private readonly spool: EnqueueSpool | undefined;
  private closed = false;
  private readonly removeQueueGauge: (() => void) | undefined;
  private readonly closing = new AbortController();

  constructor(options: JobsOptions = {}) {
    const resolved = resolveJobsOptions(options);
    this.logger = options.logger ?? silentLogger();
    this.metrics = createJobsMetrics(options.metrics);
    this.cancelGraceMs = resolved.cancelGraceMs;
    this.jobLog = resolved.jobLog;
    this.store = options.connection
      ? new RedisJobStore(options.connection, { ...resolved.store, keyPrefix: options.keyPrefix ?? 'bp' })
      : new MemoryJobStore(resolved.store);
    this.tails = new EventTails(this.store, this.logger);
    this.removeQueueGauge = registerQueueGauge(options.metrics, this.store);
    if (resolved.enqueuePolicy === 'spool' && options.connection) {
      this.spool = new EnqueueSpool(this.store, options.spoolSize ?? 10_000, this.logger);
      options.connection.on('availability', (state) => {
        if (state === 'up') void this.spool?.flush();
      });
    }
  }

  /** Jobs waiting in the local spool for Redis to come back (policy 'spool'); for health and status. */
  get spooled(): number {
    return this.spool?.size ?? 0;
  }

  get backend(): 'redis' | 'memory' {
    return this.store.kind;
  }

  /** Registers a task's handler in this process and returns a typed handle on it. */
  defineTask<TData = unknown, TResult = unknown>(
    name: string,
    handler: TaskHandler<TData, TResult>,
    defaults: TaskDefaults = {},
  ): Task<TData, TResult> {
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
      throw new InvalidArgumentError('name', 'must be a non-empty string of at most 200 characters', name);
    }
    if (typeof handler !== 'function') throw new InvalidArgumentError('handler', 'must be a function', handler);
    if (this.tasks.has(name)) throw new InvalidArgumentError('name', 'is already defined', name);
    checkTaskDefaults(defaults);
    this.tasks.set(name, { name, handler: handler, defaults });
    return { name, enqueue: (data, options) => this.enqueue(name, data, options) };
  }

  /** The tasks defined in this process (the ones it can enqueue), by name, with their defaults. */
  listTasks(): TaskInfo[] {
    return describeTasks(this.tasks);
  }

  /** Validates and enqueues one job; returns its id. Nothing is written when validation fails. */
  async enqueue(name: string, data: unknown, options: JobOptions = {}): Promise<string> {
    const task = this.taskToEnqueue(name);
    const { queue, job } = buildJob(name, data, options, task.defaults, this.ids.next());
    const [localId] = await this.submit(queue, [job]);
    this.metrics?.enqueued(queue, 1);
    return publicId(queue, localId ?? job.localId);
  }

  /** Enqueues many jobs of one task (on Redis in script calls of 1,000 jobs); all are validated before any is written. */
  async enqueueBulk(name: string, items: ReadonlyArray<{ data: unknown; options?: JobOptions }>): Promise<string[]> {
    const task = this.taskToEnqueue(name);
    const list: unknown = items;
    if (!Array.isArray(list)) throw new InvalidArgumentError('items', 'must be an array', list);
    const byQueue = new Map<string, Array<{ index: number; job: NewJob }>>();
    items.forEach((item: unknown, index) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new InvalidArgumentError(`items[${index}]`, 'must be an object { data, options? }', item);
      }
      const argument = items.length === 1 ? 'options' : `items[${index}].options`;
      const { data, options } = item as { data: unknown; options?: JobOptions };
      const { queue, job } = buildJob(name, data, options ?? {}, task.defaults, this.ids.next(), argument);
      let list = byQueue.get(queue);
      if (!list) byQueue.set(queue, (list = []));
      list.push({ index, job });
    });
    const ids = new Array<string>(items.length);
    for (const [queue, list] of byQueue) {
      const localIds = await this.submit(
        queue,
        list.map((entry) => entry.job),
      );
      list.forEach((entry, i) => (ids[entry.index] = publicId(queue, localIds[i] ?? entry.job.localId)));
      this.metrics?.enqueued(queue, list.length);
    }
    return ids;
  }

  createWorker(options: WorkerOptions = {}): Worker {
    this.assertOpen();
    const worker = new Worker(
      this.store,
      this.tasks,
      this.logger,
      this.metrics,
      this.cancelGraceMs,
      this.jobLog,
      options,
    );
    this.workers.add(worker);
    return worker;
  }

  /** A job's own log (`ctx.log` lines; see `jobLogs`), oldest first; undefined when there is no such job. */
  getLogs(id: string, options: GetLogsOptions = {}): Promise<JobLogPage | undefined> {
    return readJobLogs(this.store, (queue, localId) => this.spool?.find(queue, localId) !== undefined, id, options);
  }

  /**
   * What has happened to a job so far, read back from its queue's event stream (capped at
   * `eventsMaxLength` events, so an old job's early events may be gone: see `complete`); undefined when
   * there is no such job.
   */
  history(id: string, options: GetHistoryOptions = {}): Promise<JobHistory | undefined> {
    return readJobHistory(this.store, (queue, localId) => this.spool?.find(queue, localId) !== undefined, id, options);
  }

  getJob(id: string): Promise<JobRecord | undefined> {
    return readJob(this.store, this.spool, id);
  }

  /** Jobs of one queue in one state, oldest first (waiting: in run order), optionally of one task. */
  listJobs(options: ListJobsOptions = {}): Promise<ListJobsResult> {
    return listJobPage(this.store, options);
  }

  async counts(queue: string = DEFAULT_QUEUE): Promise<Record<JobState, number>> {
    const counts = await this.store.counts(checkQueueName(queue));
    return { ...counts, spooled: this.spool?.size ?? 0 };
  }

  /** Cancels a job; returns its state after the call ('active' while a running job is being stopped). */
  async cancel(id: string): Promise<JobState> {
    const { queue, localId } = parseJobId(id);
    const state = await this.store.cancel(queue, localId, this.cancelGraceMs);
    if (state === undefined) throw notFound(id);
    return state;
  }

  /** Runs a failed or cancelled job again, with a fresh set of attempts. */
  async retry(id: string): Promise<void> {
    const { queue, localId } = parseJobId(id);
    const before = await this.store.retry(queue, localId);
    if (before === undefined) throw notFound(id);
    if (before !== 'failed' && before !== 'cancelled') {
      throw new BackplaneError('E_JOB_STATE', `job ${id} is ${before}; only failed or cancelled jobs can be retried`, {
        details: { id, state: before },
      });
    }
  }

  /** Runs a delayed job now, instead of at its run time (or after its backoff). */
  async promote(id: string): Promise<void> {
    const { queue, localId } = parseJobId(id);
    const before = await this.store.promote(queue, localId);
    if (before === undefined) throw notFound(id);
    if (before !== 'delayed') {
      throw new BackplaneError('E_JOB_STATE', `job ${id} is ${before}; only delayed jobs can be promoted`, {
        details: { id, state: before },
      });
    }
  }

  /** Deletes a job that is not running (cancel a running one first). */
  async remove(id: string): Promise<void> {
    const { queue, localId } = parseJobId(id);
    const before = await this.store.remove(queue, localId);
    if (before === undefined) throw notFound(id);
    if (before === 'active') {
      throw new BackplaneError('E_JOB_STATE', `job ${id} is running; cancel it before removing it`, {
        details: { id, state: before },
      });
    }
  }

  /**
   * Runs again, with a fresh set of attempts, every failed job of a queue (or every cancelled one), or
   * only those of one task; returns how many. Jobs that fail while it runs may or may not be included.
   */
  async retryJobs(queue: string = DEFAULT_QUEUE, options: RetryJobsOptions = {}): Promise<number> {
    const { state, name } = checkRetryJobs(options);
    return changeJobs(this.store, checkQueueName(queue), 'retry', state, name);
  }

  /**
   * Deletes every job of a queue in one state (waiting, delayed, completed, failed or cancelled), or
   * those of one task; returns how many. For waiting jobs, pause the queue first for an exact count:
   * jobs that workers claim meanwhile shift the pages.
   */
  async removeJobs(queue: string, options: RemoveJobsOptions): Promise<number> {
    const { state, name } = checkRemoveJobs(options);
    return changeJobs(this.store, checkQueueName(queue), 'remove', state, name);
  }

  /**
   * Resolves with the job's result once it completes; rejects with E_JOB_FAILED / E_JOB_CANCELLED when
   * it ends otherwise, E_JOB_NOT_FOUND when it does not exist, E_TIMEOUT after `timeout`.
   */
  async waitForResult<TResult = unknown>(id: string, options: { timeout?: Duration } = {}): Promise<TResult> {
    const { queue } = parseJobId(id);
    const timeoutMs = toMilliseconds(options.timeout ?? 30_000, 'timeout');
    let hub = this.hubs.get(queue);
    if (!hub || hub.closed) {
      hub = new EventHub(
        this.store,
        queue,
        this.logger,
        () => {
          if (this.hubs.get(queue) === hub) this.hubs.delete(queue);
        },
        this.ids,
      );
      this.hubs.set(queue, hub);
    }
    return waitOnHub<TResult>(hub, id, timeoutMs, {
      outcome: () => readOutcome(this.store, this.spool, id),
      recentFinalEvent: () => findRecentFinalEvent(this.store, queue, id),
    });
  }

  /** Events of one job (resuming after `lastEventId`), ending after its final event. */
  events(id: string, options: { lastEventId?: string; signal?: AbortSignal } = {}): AsyncIterable<JobEvent> {
    const { queue, localId } = parseJobId(id);
    return readJobEvents(this.store, this.tails, queue, localId, {
      lastEventId: checkLastEventId(options.lastEventId),
      signals: [options.signal, this.closing.signal],
      logger: this.logger,
    });
  }

  /** Every event of a queue (resuming after `lastEventId`, else only new ones) until `signal` aborts. */
  queueEvents(
    queue: string = DEFAULT_QUEUE,
    options: { lastEventId?: string; signal?: AbortSignal } = {},
  ): AsyncIterable<JobEvent> {
    return readQueueEvents(this.store, this.tails, checkQueueName(queue), {
      lastEventId: checkLastEventId(options.lastEventId),
      signals: [options.signal, this.closing.signal],
      logger: this.logger,
    });
  }

  /** Stops every worker (of every process) from claiming jobs of the queue; running jobs go on. */
  async pause(queue: string = DEFAULT_QUEUE): Promise<void> {
    await this.store.setPaused(checkQueueName(queue), true);
  }

  async resume(queue: string = DEFAULT_QUEUE): Promise<void> {
    await this.store.setPaused(checkQueueName(queue), false);
  }

  async isPaused(queue: string = DEFAULT_QUEUE): Promise<boolean> {
    return this.store.isPaused(checkQueueName(queue));
  }

  /** Live workers of every process sharing this store. */
  listWorkers(): Promise<WorkerInfo[]> {
    return this.store.listWorkers();
  }

  /** Idempotent: closes the workers created here (with their grace), the event readers and the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.removeQueueGauge?.();
    await Promise.allSettled([...this.workers].map((worker) => worker.close()));
    for (const hub of this.hubs.values()) hub.stop();
    this.tails.close();
    this.spool?.close();
    await this.store.close();
  }

  /** Names of the queues in use (by any process sharing the store), sorted. */
  listQueues(): Promise<string[]> {
    return this.store.listQueues();
  }

  private async submit(queue: string, jobs: NewJob[]): Promise<string[]> {
    if (!this.knownQueues.has(queue)) {
      // Once per queue and process: a listing of queues costs no command per job.
      await this.store.registerQueue(queue).then(
        () => this.knownQueues.add(queue),
        () => undefined,
      );
    }
    if (this.spool && this.spool.size > 0) {
      this.spool.push(queue, jobs);
      void this.spool.flush();
      return jobs.map((job) => job.localId);
    }
    try {
      return await this.store.add(queue, jobs);
    } catch (error) {
      if (!this.spool || !isBackplaneError(error) || error.code !== 'E_REDIS_UNAVAILABLE') throw error;
      this.logger.warn({ queue, jobs: jobs.length }, 'jobs: Redis unavailable; enqueue spooled locally');
      this.spool.push(queue, jobs);
      return jobs.map((job) => job.localId);
    }
  }

  private taskToEnqueue(name: string): TaskDefinition {
    this.assertOpen();
    const task = this.tasks.get(name);
    if (!task)
      throw new BackplaneError('E_TASK_UNKNOWN', `no task named ${JSON.stringify(name)} is defined`, {
        details: { argument: 'name', name },
      });
    return task;
  }

  private assertOpen(): void {
    if (this.closed) throw new BackplaneError('E_CLOSED', 'jobs is closed');
  }
}

function notFound(id: string): BackplaneError {
  return new BackplaneError('E_JOB_NOT_FOUND', `no job with id ${JSON.stringify(id)}`, { details: { id } });
}

/** Builds jobs on Redis when `connection` is given, else on the in-process memory backend. */
export function createJobs(options: JobsOptions = {}): Jobs {
  return new Jobs(options);
}

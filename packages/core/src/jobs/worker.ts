import { hostname } from 'node:os';
import { InvalidArgumentError } from '../errors.js';
import type { Logger } from '../logger.js';
import { toMilliseconds, type Duration } from '../util/duration.js';
import { AckBatcher } from './acks.js';
import { JobAbortedError, toJobError } from './errors.js';
import type { JobsMetrics } from './metrics.js';
import { backoffDelay, checkQueueName, DEFAULT_QUEUE, serialize } from './options.js';
import { newLocalId, publicId } from './records.js';
import type { ClaimedJob, ClaimRequest, JobStore, Outcome } from './store.js';
import type { TaskHandler, TaskRegistry } from './tasks.js';
import type { WorkerInfo } from './types.js';

export interface WorkerOptions {
  /** Queues to take jobs from. @default ['default'] */
  queues?: string[];
  /** Jobs run at the same time, over all queues. @default 10 */
  concurrency?: number;
  /** How long a claim holds a job without a heartbeat; a crashed worker's jobs return after it. @default 30000 */
  lease?: Duration;
  /** How often leases are renewed and the registry entry refreshed. @default lease / 3 */
  heartbeat?: Duration;
  /** How often stalled leases are recovered and retention applied. @default 5000 */
  maintenance?: Duration;
  /** Longest sleep when a queue is empty (new work wakes the worker sooner). @default 5000 */
  idleWait?: Duration;
  /** At most `max` jobs claimed per `duration`, per queue, over all workers. */
  rateLimit?: { max: number; duration: Duration };
  /** Grace `close()` gives running jobs before handing them back. @default 10000 */
  shutdownGrace?: Duration;
  /** @default a random id */
  id?: string;
}

interface Running {
  queue: string;
  job: ClaimedJob;
  controller: AbortController;
  cancelled: boolean;
  /** Ends the attempt without waiting for the handler (time limit, cancel grace, lost lease, shutdown). */
  force: (reason: ForceReason) => void;
  forced: Promise<ForceReason>;
}

type ForceReason = 'timeout' | 'cancelled' | 'lost' | 'release';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
const CANCELLED_ERROR = JSON.stringify({ message: 'cancelled', code: 'E_JOB_CANCELLED' });

/**
 * Runs the handlers of the tasks defined in this process. Finishing a job and claiming the next one is
 * one round trip; idle queues sleep on a wake-up marker instead of polling.
 */
export class Worker {
  readonly id: string;
  readonly queues: readonly string[];
  readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly maintenanceMs: number;
  private readonly idleWaitMs: number;
  private readonly shutdownGraceMs: number;
  private readonly rateLimit: ClaimRequest['rateLimit'];
  private readonly running = new Map<string, Running>();
  private readonly slotWaiters: Array<() => void> = [];
  /**
   * Per queue whose fetch loop waits for a free slot: a finish found the queue empty (value: when to
   * look again), so the claim after the slot frees can be skipped. Only set while the loop waits for a
   * slot: a loop woken by the marker must claim.
   */
  private readonly drained = new Map<string, number>();
  private readonly awaitingSlot = new Set<string>();
  private readonly stopFetching = new AbortController();
  private readonly loops: Array<Promise<void>> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly acks: AckBatcher;
  private unsubscribe: (() => Promise<void>) | undefined;
  private startedAt = 0;
  private started = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly store: JobStore,
    private readonly tasks: TaskRegistry,
    private readonly logger: Logger,
    private readonly metrics: JobsMetrics | undefined,
    private readonly cancelGraceMs: number,
    options: WorkerOptions = {},
  ) {
    this.queues = [...new Set((options.queues ?? [DEFAULT_QUEUE]).map((queue) => checkQueueName(queue, 'queues')))];
    if (this.queues.length === 0) throw new InvalidArgumentError('queues', 'must name at least one queue');
    const concurrency = options.concurrency ?? 10;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidArgumentError('concurrency', 'must be an integer of 1 or more', concurrency);
    }
    this.concurrency = concurrency;
    this.leaseMs = Math.max(100, toMilliseconds(options.lease ?? 30_000, 'lease'));
    this.heartbeatMs = Math.max(20, toMilliseconds(options.heartbeat ?? Math.floor(this.leaseMs / 3), 'heartbeat'));
    this.maintenanceMs = Math.max(50, toMilliseconds(options.maintenance ?? 5000, 'maintenance'));
    this.idleWaitMs = Math.max(10, toMilliseconds(options.idleWait ?? 5000, 'idleWait'));
    this.shutdownGraceMs = toMilliseconds(options.shutdownGrace ?? 10_000, 'shutdownGrace');
    if (options.rateLimit) {
      const { max } = options.rateLimit;
      if (!Number.isInteger(max) || max < 1)
        throw new InvalidArgumentError('rateLimit.max', 'must be an integer of 1 or more', max);
      this.rateLimit = { max, windowMs: Math.max(1, toMilliseconds(options.rateLimit.duration, 'rateLimit.duration')) };
    }
    this.id = options.id ?? `${hostname()}:${process.pid}:${newLocalId()}`;
    this.acks = new AckBatcher(
      store,
      (count) => this.claimRequest(this.stopFetching.signal.aborted ? 0 : count),
      (error, message) => this.warn(error, message),
    );
  }

  /** Registers the worker and starts claiming. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.startedAt = Date.now();
    this.unsubscribe = await this.store.onCancel(this.queues, (queue, localId) =>
      this.requestCancel(publicId(queue, localId)),
    );
    await this.register().catch((error: unknown) => this.warn(error, 'worker registration failed'));
    for (const queue of this.queues) await this.store.registerQueue(queue).catch(() => undefined);
    this.every(this.heartbeatMs, () => this.heartbeat());
    this.every(this.maintenanceMs, () => this.maintain());
    for (const queue of this.queues) this.loops.push(this.fetchLoop(queue));
  }

  /** Ids of the jobs running here now. */
  runningJobs(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Stops claiming, waits up to `graceMs` for running jobs, then aborts the rest and hands them back
   * (waiting again, no attempt used up). Idempotent.
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.graceMs ?? this.shutdownGraceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.stopFetching.abort();
    for (const wake of this.slotWaiters.splice(0)) wake();
    await Promise.allSettled(this.loops);
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) await sleep(Math.min(50, deadline - Date.now()));
    for (const entry of this.running.values()) {
      entry.controller.abort(new JobAbortedError('E_JOB_SHUTDOWN', 'the worker is shutting down'));
      entry.force('release');
    }
    const handBack = Date.now() + 3000;
    while (this.running.size > 0 && Date.now() < handBack) await sleep(20);
    for (const timer of this.timers) clearInterval(timer);
    await this.unsubscribe?.().catch(() => undefined);
    await this.store.unregisterWorker(this.id).catch(() => undefined);
  }

  private async fetchLoop(queue: string): Promise<void> {
    const signal = this.stopFetching.signal;
    let failures = 0;
    while (!signal.aborted) {
      const free = this.concurrency - this.running.size;
      if (free <= 0) {
        this.awaitingSlot.add(queue);
        await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
        this.awaitingSlot.delete(queue);
        continue;
      }
      let nextAt = this.drained.get(queue);
      this.drained.delete(queue);
      // A finish that just found the queue empty already said so: wait on the marker without a claim
      // (work added since then pushed the marker, so nothing is missed).
      if (nextAt === undefined) {
        try {
          const batch = await this.store.claim(queue, this.claimRequest(free));
          failures = 0;
          for (const job of batch.jobs) this.launch(queue, job);
          if (batch.jobs.length === free || batch.nextAt === 0) continue;
          nextAt = batch.nextAt;
        } catch (error) {
          failures++;
          this.warn(error, 'claim failed');
          await sleep(Math.min(2000, 50 * 2 ** failures));
          continue;
        }
      }
      const wait = nextAt < 0 ? this.idleWaitMs : Math.min(this.idleWaitMs, Math.max(0, nextAt - Date.now()));
      if (wait <= 0) continue;
      try {
        await this.store.waitForWork(queue, wait, signal);
      } catch (error) {
        this.warn(error, 'waiting for work failed');
        await sleep(Math.min(2000, wait));
      }
    }
  }

  private claimRequest(count: number): ClaimRequest {
    return { workerId: this.id, count, leaseMs: this.leaseMs, rateLimit: this.rateLimit };
  }

  private launch(queue: string, job: ClaimedJob): void {
    const entry = this.track(queue, job);
    void this.execute(entry).catch((error: unknown) => this.warn(error, 'job execution failed'));
  }

  private track(queue: string, job: ClaimedJob): Running {
    let force: (reason: ForceReason) => void = () => undefined;
    const forced = new Promise<ForceReason>((resolve) => (force = resolve));
    const entry: Running = { queue, job, controller: new AbortController(), cancelled: false, force, forced };
    this.running.set(publicId(queue, job.localId), entry);
    return entry;
  }

  /** Runs a job, records its outcome, and keeps the slot for the next job that reply carried. */
  private async execute(first: Running): Promise<void> {
    let entry: Running | undefined = first;
    while (entry) {
      const { queue, job }: Running = entry;
      const started = performance.now();
      // attempt() catches what handlers throw; this guards the slot against anything else (bad data).
      const outcome = await this.attempt(entry).catch((error: unknown): Outcome => ({
        kind: 'failed',
        error: JSON.stringify(toJobError(error)),
      }));
      const reply = await this.acks.finish(
        queue,
        { localId: job.localId, token: job.token, outcome },
        !this.stopFetching.signal.aborted,
      );
      this.running.delete(publicId(queue, job.localId));
      this.metrics?.finished(queue, reply.state ?? 'lost', (performance.now() - started) / 1000);
      entry = reply.next ? this.track(queue, reply.next) : undefined;
      if (reply.drainedUntil !== undefined && this.awaitingSlot.has(queue)) this.drained.set(queue, reply.drainedUntil);
      else if (reply.next) this.drained.delete(queue);
    }
    this.slotWaiters.shift()?.();
  }

  private async attempt(entry: Running): Promise<Outcome> {
    const { queue, job, controller } = entry;
    const id = publicId(queue, job.localId);
    const task = this.tasks.get(job.name);
    if (!task) {
      const error = { message: `no task ${job.name} is defined in this worker`, code: 'E_TASK_UNKNOWN' };
      return { kind: 'failed', error: JSON.stringify(error) };
    }
    let timer: NodeJS.Timeout | undefined;
    if (job.timeoutMs > 0) {
      timer = setTimeout(() => {
        controller.abort(new JobAbortedError('E_JOB_TIMEOUT', `the job ran past its ${job.timeoutMs} ms time limit`));
        entry.force('timeout');
      }, job.timeoutMs);
      timer.unref();
    }
    const data: unknown = JSON.parse(job.data);
    let log: Logger | undefined;
    const logger = this.logger;
    const context = {
      job: {
        id,
        name: job.name,
        queue,
        data,
        attempt: job.attempt,
        maxAttempts: job.maxAttempts,
        createdAt: job.createdAt,
        group: job.group,
      },
      attempt: job.attempt,
      signal: controller.signal,
      // A child logger per job costs more than a no-op job: build it only when the handler logs.
      get log(): Logger {
        return (log ??= logger.child({ jobId: id, task: job.name }));
      },
      progress: async (percent: number, message?: string, extra?: unknown): Promise<void> => {
        if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) {
          throw new InvalidArgumentError('percent', 'must be a number from 0 to 100', percent);
        }
        const progress: Record<string, unknown> = { percent };
        if (message !== undefined) progress.message = message;
        if (extra !== undefined) progress.data = extra;
        await this.store.progress(queue, job.localId, job.token, serialize(progress, 'progress'));
      },
    };
    type Settled = { ok: true; value: unknown } | { ok: false; error: unknown } | { forced: ForceReason };
    const settled: Settled = await Promise.race([
      Promise.resolve()
        .then(() => (task.handler as TaskHandler<unknown, unknown>)(data, context))
        .then(
          (value): Settled => ({ ok: true, value }),
          (error: unknown): Settled => ({ ok: false, error }),
        ),
      entry.forced.then((reason): Settled => ({ forced: reason })),
    ]);
    clearTimeout(timer);
    if (entry.cancelled) return { kind: 'cancelled', error: CANCELLED_ERROR };
    if ('forced' in settled) {
      if (settled.forced === 'release') return { kind: 'release' };
      if (settled.forced === 'timeout') {
        const error = {
          message: `timed out after ${job.timeoutMs} ms`,
          code: 'E_JOB_TIMEOUT',
          name: 'JobAbortedError',
        };
        return this.failure(job, error, false);
      }
      return { kind: 'failed', error: JSON.stringify({ message: 'lease lost', code: 'E_JOB_LEASE_LOST' }) };
    }
    if (settled.ok) {
      try {
        return { kind: 'completed', result: serialize(settled.value, 'result') };
      } catch (error) {
        return this.failure(job, toJobError(error), true);
      }
    }
    const info = toJobError(settled.error);
    return this.failure(job, info, info.unrecoverable === true);
  }

  private failure(job: ClaimedJob, error: object, unrecoverable: boolean): Outcome {
    const json = JSON.stringify(error);
    if (unrecoverable || job.attempt >= job.maxAttempts) return { kind: 'failed', error: json };
    return { kind: 'retry', error: json, delayMs: backoffDelay(job.backoff, job.attempt) };
  }

  private requestCancel(id: string): void {
    const entry = this.running.get(id);
    if (!entry || entry.cancelled) return;
    entry.cancelled = true;
    entry.controller.abort(new JobAbortedError('E_JOB_CANCELLED', 'the job was cancelled'));
    // The handler gets the grace period to stop; after it the job ends cancelled whatever it does.
    setTimeout(() => entry.force('cancelled'), this.cancelGraceMs).unref();
  }

  private async heartbeat(): Promise<void> {
    for (const queue of this.queues) {
      const entries = [...this.running.values()].filter((entry) => entry.queue === queue);
      if (entries.length === 0) continue;
      const leases = entries.map((entry) => ({ localId: entry.job.localId, token: entry.job.token }));
      const statuses = await this.store.extend(queue, leases, this.leaseMs);
      statuses.forEach((status, index) => {
        const entry = entries[index];
        if (!entry) return;
        if (status === 2) this.requestCancel(publicId(queue, entry.job.localId));
        if (status === 0 && this.running.get(publicId(queue, entry.job.localId)) === entry) {
          entry.controller.abort(new JobAbortedError('E_JOB_LEASE_LOST', 'the lease on this job was lost'));
          entry.force('lost');
        }
      });
    }
    await this.register();
  }

  private async maintain(): Promise<void> {
    for (const queue of this.queues) {
      const recovered = await this.store.maintain(queue);
      if (recovered > 0) {
        this.metrics?.stalled(queue, recovered);
        this.logger.info({ queue, recovered }, 'jobs: stalled jobs handed back to waiting');
      }
    }
  }

  private register(): Promise<void> {
    const info: WorkerInfo = {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      queues: [...this.queues],
      concurrency: this.concurrency,
      running: this.runningJobs(),
      startedAt: this.startedAt,
      lastHeartbeat: Date.now(),
      heartbeatMs: this.heartbeatMs,
    };
    return this.store.registerWorker(info);
  }

  private every(ms: number, task: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      task()
        .catch((error: unknown) => this.warn(error, 'worker housekeeping failed'))
        .finally(() => (busy = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private warn(error: unknown, message: string): void {
    this.logger.warn(
      { err: error instanceof Error ? error.message : String(error), worker: this.id },
      `jobs: ${message}`,
    );
  }
}

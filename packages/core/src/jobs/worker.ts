import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import { AckBatcher } from './acks.js';
import { EarlyCancels } from './early-cancels.js';
import { renewLeases } from './lease-renewal.js';
import { every } from './periodic.js';
import { abortAttempt, type AttemptDeps, CANCELLED_ERROR, forceEnd, runAttempt, type Running } from './attempt.js';
import { JobAbortedError, toJobError } from './errors.js';
import type { JobLogOptions } from './job-log.js';
import { JobLogWriter } from './job-log-writer.js';
import type { JobsMetrics } from './metrics.js';
import { publicId } from './records.js';
import type { ClaimedJob, ClaimRequest, FinishItem, JobStore, Outcome } from './store.js';
import type { TaskRegistry } from './tasks.js';
import type { WorkerInfo } from './types.js';
import { resolveWorkerOptions, type WorkerOptions } from './worker-options.js';

export type { WorkerOptions } from './worker-options.js';

/** Attempts at or under this average keep a prefetch buffer in 'auto' mode. */
const AUTO_PREFETCH_MAX_MS = 10;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
/** Keeps the process alive: a script whose last step is `await worker.close()` must not exit mid-drain. */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
  private readonly prefetch: number | 'auto';
  private readonly running = new Map<string, Running>();
  /** Slot loops alive (a slot waiting for its ack's next job counts: it will run that job). */
  private busySlots = 0;
  /** Outcomes sent and not yet answered; shutdown waits for them. */
  private unacked = 0;
  /** Claimed jobs waiting for a slot, per queue (see `prefetch`). */
  private readonly buffered = new Map<string, ClaimedJob[]>();
  /** Buffer refills asked for and not yet answered, per queue. */
  private readonly refilling = new Map<string, number>();
  /** Cancels heard for jobs claimed for this worker that have not reached it yet. */
  private readonly earlyCancels = new EarlyCancels();
  /** Shared by every attempt and outcome (no closure per job). */
  private readonly reportProgress = async (entry: Running, progress: string): Promise<void> => {
    await this.store.progress(entry.queue, entry.job.localId, entry.job.token, progress);
  };
  private readonly onOutcomeError = (error: unknown): void => this.warn(error, 'recording a job outcome failed');
  /** Moving average of attempt durations (ms), for 'auto' prefetch. */
  private averageMs: number | undefined;
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
  private readonly attemptDeps: AttemptDeps;
  /** Writes `ctx.log` lines to the jobs' own logs. */
  private readonly logWriter: JobLogWriter;
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
    jobLog: Required<JobLogOptions>,
    options: WorkerOptions = {},
  ) {
    const settings = resolveWorkerOptions(options);
    this.id = settings.id;
    this.queues = settings.queues;
    this.concurrency = settings.concurrency;
    this.leaseMs = settings.leaseMs;
    this.heartbeatMs = settings.heartbeatMs;
    this.maintenanceMs = settings.maintenanceMs;
    this.idleWaitMs = settings.idleWaitMs;
    this.shutdownGraceMs = settings.shutdownGraceMs;
    this.rateLimit = settings.rateLimit;
    this.prefetch = settings.prefetch;
    this.acks = new AckBatcher(
      store,
      (count) => this.claimRequest(this.stopFetching.signal.aborted ? 0 : count),
      (error, message) => this.warn(error, message),
      Math.max(8, Math.ceil(this.concurrency / 2)),
    );
    this.logWriter = new JobLogWriter(store, (error, message) => this.warn(error, message));
    this.attemptDeps = {
      tasks,
      logger,
      reportProgress: this.reportProgress,
      jobLog: {
        ...jobLog,
        record: this.logWriter.record,
        keepLine: jobLog.keep > 0 ? { level: jobLog.level, record: this.logWriter.record } : undefined,
      },
    };
  }

  /** Registers the worker and starts claiming. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.startedAt = Date.now();
    this.unsubscribe = await this.store.onCancel(this.queues, (queue, localId) => this.requestCancel(queue, localId));
    await this.register().catch((error: unknown) => this.warn(error, 'worker registration failed'));
    for (const queue of this.queues) await this.store.registerQueue(queue).catch(() => undefined);
    const housekeepingFailed = (error: unknown): void => this.warn(error, 'worker housekeeping failed');
    this.timers.push(every(this.heartbeatMs, () => this.heartbeat(), housekeepingFailed));
    this.timers.push(every(this.maintenanceMs, () => this.maintain(), housekeepingFailed));
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
    // Prefetched jobs have not started: they go back to waiting at once.
    for (const [queue, jobs] of this.buffered) {
      this.buffered.delete(queue);
      for (const job of jobs) this.handBack(queue, job, { kind: 'release' });
    }
    await Promise.allSettled(this.loops);
    const deadline = Date.now() + graceMs;
    while ((this.running.size > 0 || this.unacked > 0) && Date.now() < deadline) {
      await pause(Math.min(50, deadline - Date.now()));
    }
    for (const entry of this.running.values()) {
      abortAttempt(entry, new JobAbortedError('E_JOB_SHUTDOWN', 'the worker is shutting down'));
      forceEnd(entry, 'release');
    }
    const handBack = Date.now() + 3000;
    while ((this.running.size > 0 || this.unacked > 0) && Date.now() < handBack) await pause(20);
    for (const timer of this.timers) clearInterval(timer);
    await this.unsubscribe?.().catch(() => undefined);
    await this.store.unregisterWorker(this.id).catch(() => undefined);
  }

  private async fetchLoop(queue: string): Promise<void> {
    const signal = this.stopFetching.signal;
    // Idle hand-off (lua/jobs/claim-1.lua): the loop registers when the queue runs dry and new jobs
    // arrive claimed, in the wake-up itself. Off under a rate limit, which a hand-off would not count.
    const idle = this.rateLimit ? undefined : { token: this.id, waitMs: this.idleWaitMs };
    /** Redis may hold this loop's idle registration (ended by the next claim, or by endIdle). */
    let registered = false;
    /** The registration is known to be live (a hand-off said so): wait again without a claim. */
    let stillIdle = false;
    let failures = 0;
    try {
      while (!signal.aborted) {
        const free = this.concurrency - this.busySlots;
        if (free <= 0) {
          // Jobs handed over while no slot is free would wait unseen: end the registration first.
          if (registered) registered = stillIdle = await this.endIdle(queue);
          this.awaitingSlot.add(queue);
          await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
          this.awaitingSlot.delete(queue);
          continue;
        }
        let nextAt = this.drained.get(queue);
        this.drained.delete(queue);
        // A finish that just found the queue empty already said so: wait on the marker without a
        // claim (work added since then pushed the marker, so nothing is missed). With hand-off the
        // claim is made anyway, as it registers the loop.
        if (idle) nextAt = undefined;
        if (nextAt === undefined && !stillIdle) {
          try {
            const batch = await this.store.claim(queue, { ...this.claimRequest(free), idle });
            failures = 0;
            registered = batch.registered === true;
            this.deliver(queue, batch.jobs);
            if (!registered && (batch.jobs.length >= free || batch.nextAt === 0)) continue;
            nextAt = batch.nextAt;
          } catch (error) {
            failures++;
            this.warn(error, 'claim failed');
            await sleep(Math.min(2000, 50 * 2 ** failures));
            continue;
          }
        }
        const until = nextAt ?? -1;
        const wait = until < 0 ? this.idleWaitMs : Math.min(this.idleWaitMs, Math.max(0, until - Date.now()));
        if (wait <= 0) {
          stillIdle = false;
          continue;
        }
        try {
          const handed = await this.store.waitForWork(queue, wait, signal, registered ? idle?.token : undefined);
          // Woken by the marker or timed out: the next claim renews (or ends) the registration.
          stillIdle = handed?.registered === true;
          if (handed) {
            registered = stillIdle;
            this.deliver(queue, handed.jobs);
          }
        } catch (error) {
          stillIdle = false;
          this.warn(error, 'waiting for work failed');
          await sleep(Math.min(2000, wait));
        }
      }
    } finally {
      if (registered) await this.endIdle(queue);
    }
  }

  /** Ends the loop's idle registration; jobs already handed to it go to slots or the buffer. */
  private async endIdle(queue: string): Promise<false> {
    try {
      const batch = await this.store.claim(queue, { ...this.claimRequest(0), idle: { token: this.id, waitMs: 0 } });
      this.deliver(queue, batch.jobs);
    } catch (error) {
      // Jobs left in the inbox come back as stalled when their leases run out.
      this.warn(error, 'ending the idle registration failed');
    }
    return false;
  }

  private claimRequest(count: number): ClaimRequest {
    return { workerId: this.id, count, leaseMs: this.leaseMs, rateLimit: this.rateLimit };
  }

  /** Starts a slot loop for the job. */
  private launch(queue: string, job: ClaimedJob): void {
    this.busySlots++;
    void this.execute(queue, job)
      .catch((error: unknown) => this.warn(error, 'job execution failed'))
      .finally(() => {
        this.busySlots--;
        // A slot freed: prefetched jobs of any queue come first, then the fetch loops.
        for (const [bufferedQueue, list] of this.buffered) {
          const next = list.shift();
          if (next && !this.stopFetching.signal.aborted) {
            this.launch(bufferedQueue, next);
            return;
          }
        }
        this.slotWaiters.shift()?.();
      });
  }

  private track(queue: string, job: ClaimedJob): Running {
    const id = publicId(queue, job.localId);
    const entry: Running = {
      id,
      queue,
      job,
      controller: undefined,
      abortReason: undefined,
      cancelled: false,
      settle: undefined,
      forcedBefore: undefined,
      logLines: undefined,
      logWrite: undefined,
      logKeep: 0,
    };
    this.running.set(id, entry);
    return entry;
  }

  /**
   * A slot: runs a job, sends its outcome, and goes on with a prefetched job at once if there is one
   * (the outcome's reply then refills the buffer), else with the job that reply carries.
   */
  private async execute(queue: string, first: ClaimedJob): Promise<void> {
    let job: ClaimedJob | undefined = first;
    while (job) {
      const entry = this.track(queue, job);
      const started = performance.now();
      // attempt() catches what handlers throw; this guards the slot against anything else (bad data).
      const outcome = this.earlyCancels.take(entry.id)
        ? ({ kind: 'cancelled', error: CANCELLED_ERROR } as const)
        : await runAttempt(entry, this.attemptDeps).catch((error: unknown): Outcome => ({
            kind: 'failed',
            error: JSON.stringify(toJobError(error)),
          }));
      const elapsedMs = performance.now() - started;
      // Its log lines go before its outcome (see JobLogWriter.written).
      if (entry.logLines || entry.logWrite) await this.logWriter.written(entry);
      this.averageMs = this.averageMs === undefined ? elapsedMs : this.averageMs * 0.9 + elapsedMs * 0.1;
      this.running.delete(entry.id);
      const item = { localId: job.localId, token: job.token, outcome };
      const closing = this.stopFetching.signal.aborted;
      const prefetched = closing ? undefined : this.buffered.get(queue)?.shift();
      const own = closing || prefetched ? 0 : 1;
      const next = this.send(queue, item, own, closing ? 0 : this.refillWanted(queue), elapsedMs);
      if (prefetched) {
        next.catch(this.onOutcomeError);
        job = prefetched;
        continue;
      }
      job = await next;
    }
  }

  /**
   * Records an outcome (batched) and claims `own` job for the calling slot (returned) plus `refill`
   * jobs, which go to free slots or the buffer.
   */
  private async send(
    queue: string,
    item: FinishItem,
    own: 0 | 1,
    refill: number,
    elapsedMs: number,
  ): Promise<ClaimedJob | undefined> {
    this.unacked++;
    if (refill > 0) this.refilling.set(queue, (this.refilling.get(queue) ?? 0) + refill);
    // Nothing else running here: no other outcome is coming to share the batch, so send it sooner.
    const lone = this.running.size === 0;
    const reply = await this.acks.finish(queue, item, own + refill, lone);
    this.unacked--;
    if (refill > 0) this.refilling.set(queue, (this.refilling.get(queue) ?? 0) - refill);
    this.metrics?.finished(queue, reply.state ?? 'lost', elapsedMs / 1000);
    if (reply.drainedUntil !== undefined && this.awaitingSlot.has(queue)) this.drained.set(queue, reply.drainedUntil);
    else if (reply.next.length > 0) this.drained.delete(queue);
    if (own === 0) {
      this.deliver(queue, reply.next);
      return undefined;
    }
    // Jobs prefetched before this reply are older than the slot's own: they run first, in order.
    const older = this.buffered.get(queue);
    if (older && older.length > 0) {
      this.deliver(queue, reply.next);
      return older.shift();
    }
    this.deliver(queue, reply.next.slice(1));
    return reply.next[0];
  }

  /** Jobs to claim so the queue's buffer (with refills under way) reaches the prefetch target. */
  private refillWanted(queue: string): number {
    const target =
      this.prefetch === 'auto'
        ? this.averageMs !== undefined && this.averageMs <= AUTO_PREFETCH_MAX_MS
          ? 2 * this.concurrency
          : 0
        : this.prefetch;
    if (target === 0) return 0;
    const held = (this.buffered.get(queue)?.length ?? 0) + (this.refilling.get(queue) ?? 0);
    return Math.max(0, target - held);
  }

  /** Jobs claimed beyond a slot's own: a free slot runs them, else they wait in the buffer. */
  private deliver(queue: string, jobs: readonly ClaimedJob[]): void {
    for (const job of jobs) {
      if (this.stopFetching.signal.aborted) this.handBack(queue, job, { kind: 'release' });
      else if (this.busySlots < this.concurrency) this.launch(queue, job);
      else {
        let list = this.buffered.get(queue);
        if (!list) this.buffered.set(queue, (list = []));
        list.push(job);
      }
    }
  }

  /** Ends a job that never started (prefetched): handed back, or cancelled. */
  private handBack(queue: string, job: ClaimedJob, outcome: Outcome): void {
    void this.send(queue, { localId: job.localId, token: job.token, outcome }, 0, 0, 0);
  }

  private requestCancel(queue: string, localId: string): void {
    const entry = this.running.get(publicId(queue, localId));
    if (!entry) {
      // A prefetched job that has not started ends cancelled at once.
      const list = this.buffered.get(queue);
      const index = list?.findIndex((job) => job.localId === localId) ?? -1;
      const [job] = index >= 0 && list ? list.splice(index, 1) : [];
      if (job) this.handBack(queue, job, { kind: 'cancelled', error: CANCELLED_ERROR });
      else this.earlyCancels.remember(publicId(queue, localId));
      return;
    }
    if (entry.cancelled) return;
    entry.cancelled = true;
    abortAttempt(entry, new JobAbortedError('E_JOB_CANCELLED', 'the job was cancelled'));
    // The handler gets the grace period to stop; after it the job ends cancelled whatever it does.
    setTimeout(() => forceEnd(entry, 'cancelled'), this.cancelGraceMs).unref();
  }

  private async heartbeat(): Promise<void> {
    for (const queue of this.queues) {
      await renewLeases(this.store, this.leaseMs, {
        queue,
        running: [...this.running.values()].filter((entry) => entry.queue === queue),
        prefetched: this.buffered.get(queue),
        stillRunning: (entry) => this.running.get(entry.id) === entry,
        onCancel: (localId) => this.requestCancel(queue, localId),
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

  private warn(error: unknown, message: string): void {
    this.logger.warn(
      { err: error instanceof Error ? error.message : String(error), worker: this.id },
      `jobs: ${message}`,
    );
  }
}

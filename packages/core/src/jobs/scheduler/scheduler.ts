import { Counter, type Registry } from 'prom-client';
import { BackplaneError, isBackplaneError } from '../../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import {
  normalizeDefinition,
  timingOf,
  validateScheduleId,
  type ScheduleDefinition,
  type ScheduleInfo,
  type ScheduledJobOptions,
  type StoredDefinition,
} from './definition.js';
import type { DueSlot, ScheduleStore, StoredSchedule } from './store.js';
import { nextSlot } from './timing.js';

/** Options of one enqueued run: the schedule's job options plus a key unique to (schedule, slot). */
export type ScheduledEnqueueOptions = ScheduledJobOptions & { idempotencyKey: string };

/** How runs reach the job engine; normally `(task, data, options) => jobs.enqueue(task, data, options)`. */
export type ScheduleEnqueue = (task: string, data: unknown, options: ScheduledEnqueueOptions) => Promise<string>;

export interface JobSchedulerOptions {
  store: ScheduleStore;
  enqueue: ScheduleEnqueue;
  logger?: Logger;
  /** Registers `backplane_schedule_runs_total` there. */
  metrics?: Registry;
  /** Longest sleep between two looks at the due slots; a new schedule is seen within it. @default 1000 */
  tickMs?: number;
  /** Slots claimed per look. @default 100 */
  batchSize?: number;
  /** The clock, for tests. @default Date.now */
  now?: () => number;
}

const RUNS_METRIC = 'backplane_schedule_runs_total';
type RunOutcome = 'enqueued' | 'enqueue_failed' | 'claimed_elsewhere';
interface TickResult {
  enqueued: number;
  nextAt: number | undefined;
}

/**
 * Turns schedules into enqueued jobs. Any number of schedulers may share one store: each due slot is
 * taken with a compare-and-set on its next-run time, so exactly one of them enqueues it; the job also
 * carries the idempotency key `schedule:<id>:<slot>`, so an enqueue retried after a Redis error cannot
 * make a second job. A scheduler that dies between claiming a slot and enqueuing it loses that one run.
 */
export class JobScheduler {
  private readonly store: ScheduleStore;
  private readonly enqueue: ScheduleEnqueue;
  private readonly logger: Logger;
  private readonly tickMs: number;
  private readonly batchSize: number;
  private readonly now: () => number;
  private readonly runs: Counter<'outcome'> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<TickResult> | undefined;
  private started = false;
  private closed = false;
  private lastTickError: string | undefined;

  constructor(options: JobSchedulerOptions) {
    this.store = options.store;
    this.enqueue = options.enqueue;
    this.logger = options.logger ?? silentLogger();
    this.tickMs = options.tickMs ?? 1000;
    this.batchSize = options.batchSize ?? 100;
    this.now = options.now ?? Date.now;
    this.runs = options.metrics ? runsCounter(options.metrics) : undefined;
  }

  /** Creates or replaces a schedule. Declaring an unchanged schedule again keeps its next slot. */
  async schedule(definition: ScheduleDefinition): Promise<ScheduleInfo> {
    this.assertOpen();
    const stored = normalizeDefinition(definition);
    await this.store.save(definition.id, JSON.stringify(stored), nextSlot(timingOf(stored), this.now()));
    return (await this.get(definition.id)) as ScheduleInfo;
  }

  async get(id: string): Promise<ScheduleInfo | undefined> {
    this.assertOpen();
    const found = await this.store.get(validateScheduleId(id));
    return found === undefined ? undefined : toInfo(found);
  }

  async list(): Promise<ScheduleInfo[]> {
    this.assertOpen();
    return (await this.store.list()).map(toInfo);
  }

  /** Stops a schedule from running until `resume`. Throws `E_NOT_FOUND` for an unknown id. */
  async pause(id: string): Promise<ScheduleInfo> {
    return this.setPaused(id, true);
  }

  /** Runs a paused schedule again from its next slot after now (missed slots are not made up). */
  async resume(id: string): Promise<ScheduleInfo> {
    return this.setPaused(id, false);
  }

  /** True when the schedule existed. Jobs it already enqueued are not touched. */
  async remove(id: string): Promise<boolean> {
    this.assertOpen();
    return this.store.remove(validateScheduleId(id));
  }

  /** Starts ticking in the background. Idempotent. */
  start(): void {
    this.assertOpen();
    if (this.started) return;
    this.started = true;
    this.loop();
  }

  /**
   * Claims and enqueues every slot due now; returns how many runs this scheduler enqueued. Slots missed
   * while no scheduler ran are made up by ONE run, then the schedule continues from now.
   */
  async tick(): Promise<number> {
    this.assertOpen();
    return (await this.shareTick()).enqueued;
  }

  /** Idempotent: stops ticking and waits for a tick in progress. The store is closed by its owner. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking?.catch(() => undefined);
  }

  private async setPaused(id: string, paused: boolean): Promise<ScheduleInfo> {
    this.assertOpen();
    validateScheduleId(id);
    const found = await this.store.get(id);
    if (found === undefined) throw notFound(id);
    const stored = JSON.parse(found.definition) as StoredDefinition;
    const outcome = await this.store.setPaused(id, paused, nextSlot(timingOf(stored), this.now()));
    if (outcome === 'missing') throw notFound(id);
    return (await this.get(id)) ?? Promise.reject(notFound(id));
  }

  private loop(): void {
    if (this.closed) return;
    this.runTickForLoop().then(
      (waitMs) => {
        if (this.closed) return;
        // Timers never keep a process alive on their own: the app (worker, server) decides that.
        this.timer = setTimeout(() => this.loop(), waitMs);
        this.timer.unref();
      },
      () => undefined,
    );
  }

  /** One tick for the background loop; returns how long to sleep before the next one. */
  private async runTickForLoop(): Promise<number> {
    try {
      const { nextAt } = await this.shareTick();
      if (this.lastTickError !== undefined) this.logger.info('job scheduler ticks again');
      this.lastTickError = undefined;
      return nextAt === undefined ? this.tickMs : Math.min(this.tickMs, Math.max(0, nextAt - this.now()));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // During an outage every tick fails the same way; one line per new message is enough.
      if (message !== this.lastTickError) this.logger.warn({ err: message }, 'job scheduler tick failed');
      this.lastTickError = message;
      return this.tickMs;
    }
  }

  /** One tick at a time per scheduler; a caller arriving meanwhile shares the running one. */
  private shareTick(): Promise<TickResult> {
    this.ticking ??= this.runTick().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async runTick(): Promise<TickResult> {
    let enqueued = 0;
    // A full batch means more may be due: look again at once rather than after a sleep.
    for (;;) {
      const now = this.now();
      const { slots, nextAt } = await this.store.due(now, this.batchSize);
      for (const slot of slots) {
        if (this.closed) break;
        if (await this.runSlot(slot, now)) enqueued += 1;
      }
      if (slots.length < this.batchSize || this.closed) return { enqueued, nextAt };
    }
  }

  /** Claims one slot and enqueues its run; true when this scheduler enqueued it. */
  private async runSlot(due: DueSlot, now: number): Promise<boolean> {
    let stored: StoredDefinition;
    let following: number;
    try {
      stored = JSON.parse(due.definition) as StoredDefinition;
      following = nextSlot(timingOf(stored), Math.max(now, due.slot));
    } catch (error) {
      // A definition written by something else (or an older version) that cannot be read would stay due
      // and fail every tick; pausing it keeps the other schedules running and shows it in list().
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error({ schedule: due.id, err: message }, 'schedule paused: its definition cannot be read');
      await this.store.setPaused(due.id, true, 0);
      return false;
    }
    if (!(await this.store.claim(due.id, due.slot, following, due.slot))) {
      this.runs?.inc({ outcome: 'claimed_elsewhere' satisfies RunOutcome });
      return false;
    }
    const options: ScheduledEnqueueOptions = { ...stored.jobOptions, idempotencyKey: `schedule:${due.id}:${due.slot}` };
    try {
      const jobId = await this.enqueue(stored.task, stored.data, options);
      this.runs?.inc({ outcome: 'enqueued' satisfies RunOutcome });
      this.logger.debug({ schedule: due.id, slot: due.slot, jobId }, 'scheduled run enqueued');
      return true;
    } catch (error) {
      this.runs?.inc({ outcome: 'enqueue_failed' satisfies RunOutcome });
      const message = error instanceof Error ? error.message : String(error);
      const transient = isBackplaneError(error) && error.code === 'E_REDIS_UNAVAILABLE';
      this.logger.warn(
        { schedule: due.id, slot: due.slot, err: message, retry: transient },
        'scheduled run not enqueued',
      );
      // Redis trouble: hand the slot back so a later tick retries it (the idempotency key keeps that to one
      // job). Anything else (an unknown task, bad options) would fail again: the slot is skipped.
      if (transient) await this.store.claim(due.id, following, due.slot, undefined).catch(() => false);
      return false;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BackplaneError('E_CLOSED', 'the job scheduler is closed');
  }
}

function toInfo(found: StoredSchedule): ScheduleInfo {
  const stored = JSON.parse(found.definition) as StoredDefinition;
  return { id: found.id, ...stored, paused: found.paused, nextRunAt: found.nextRunAt, lastRunAt: found.lastRunAt };
}

function notFound(id: string): BackplaneError {
  return new BackplaneError('E_NOT_FOUND', `schedule "${id}" does not exist`, { details: { id } });
}

/** One counter per registry, shared by every scheduler registered there. */
function runsCounter(registry: Registry): Counter<'outcome'> {
  const existing = registry.getSingleMetric(RUNS_METRIC);
  if (existing) return existing as Counter<'outcome'>;
  return new Counter({
    name: RUNS_METRIC,
    help: 'Slots of job schedules seen due, by outcome (enqueued, enqueue_failed, claimed_elsewhere).',
    labelNames: ['outcome'],
    registers: [registry],
  });
}

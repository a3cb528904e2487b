import { InvalidArgumentError } from '../../errors.js';
import { toMilliseconds, type Duration } from '../../util/duration.js';
import type { JobOptions } from '../types.js';
import { validateCron, validateTimezone, type Timing } from './timing.js';

/**
 * Options of the jobs a schedule enqueues (the engine's, less the timing and idempotency key, which the
 * scheduler sets per slot). Stored with the schedule as JSON.
 */
export type ScheduledJobOptions = Omit<JobOptions, 'delay' | 'runAt' | 'idempotencyKey'>;

/** What `schedule()` takes. Give exactly one of `cron` and `every`. */
export interface ScheduleDefinition {
  /** A stable name: declaring the same id again replaces the schedule (or keeps it when unchanged). */
  id: string;
  /** The task each run enqueues. */
  task: string;
  /** The payload of every run; must be JSON. @default null */
  data?: unknown;
  /**
   * Five fields (minute hour day-of-month month day-of-week) or six with seconds first, or a macro
   * such as `@daily`.
   * @example '0 9 * * MON-FRI'
   */
  cron?: string;
  /** IANA time zone the cron expression is read in (daylight saving included). @default 'UTC' */
  timezone?: string;
  /**
   * A fixed interval. Slots sit at whole multiples of it since the epoch (`every: '5m'` fires at :00,
   * :05, …), shifted by `startAt`, so every process agrees on them without shared state.
   */
  every?: Duration;
  /** Shifts the phase of an interval: slots fall on `startAt + k × every`. @default the epoch */
  startAt?: Date | number;
  /** Options of every enqueued job. @default {} */
  jobOptions?: ScheduledJobOptions;
}

/** The normalized definition, as stored (JSON) under the schedule's id. */
export interface StoredDefinition {
  task: string;
  data: unknown;
  cron?: string;
  timezone?: string;
  everyMs?: number;
  offsetMs?: number;
  jobOptions: ScheduledJobOptions;
}

/** A schedule as `get()` and `list()` show it. */
export interface ScheduleInfo extends StoredDefinition {
  id: string;
  paused: boolean;
  /** The next slot (ms since epoch); null while paused. */
  nextRunAt: number | null;
  /** The last slot a scheduler claimed (ms since epoch); null before the first run. */
  lastRunAt: number | null;
}

const MAX_ID_LENGTH = 200;

export function validateScheduleId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError('id', `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`, id);
  }
  return id;
}

/** Checks a definition and returns its stored form; throws a typed error naming the bad field. */
export function normalizeDefinition(definition: ScheduleDefinition): StoredDefinition {
  if (typeof definition !== 'object' || definition === null) {
    throw new InvalidArgumentError('schedule', 'must be an object', definition);
  }
  validateScheduleId(definition.id);
  if (typeof definition.task !== 'string' || definition.task.length === 0) {
    throw new InvalidArgumentError('task', 'must be a non-empty task name', definition.task);
  }
  const hasCron = definition.cron !== undefined;
  const hasEvery = definition.every !== undefined;
  if (hasCron === hasEvery) {
    throw new InvalidArgumentError('cron', 'or every must be given, and not both');
  }
  const jobOptions = definition.jobOptions ?? {};
  if (typeof jobOptions !== 'object' || jobOptions === null || Array.isArray(jobOptions)) {
    throw new InvalidArgumentError('jobOptions', 'must be an object', jobOptions);
  }
  for (const reserved of ['delay', 'runAt', 'idempotencyKey'] as const) {
    if (reserved in jobOptions) {
      throw new InvalidArgumentError(`jobOptions.${reserved}`, 'is set by the scheduler for every slot');
    }
  }
  const stored: StoredDefinition = {
    task: definition.task,
    data: requireJson(definition.data ?? null, 'data'),
    jobOptions: requireJson(jobOptions, 'jobOptions'),
  };
  if (hasCron) {
    validateCron(definition.cron as string, definition.timezone);
    stored.cron = (definition.cron as string).trim();
    if (definition.timezone !== undefined) stored.timezone = definition.timezone;
    if (definition.startAt !== undefined) throw new InvalidArgumentError('startAt', 'applies to every, not cron');
  } else {
    const everyMs = toMilliseconds(definition.every, 'every');
    if (everyMs < 1) throw new InvalidArgumentError('every', 'must be at least 1 ms', definition.every);
    validateTimezone(definition.timezone);
    if (definition.timezone !== undefined) throw new InvalidArgumentError('timezone', 'applies to cron, not every');
    stored.everyMs = everyMs;
    stored.offsetMs = definition.startAt === undefined ? 0 : startOffset(definition.startAt, everyMs);
  }
  return stored;
}

export function timingOf(stored: StoredDefinition): Timing {
  if (stored.cron !== undefined) return { kind: 'cron', cron: stored.cron, timezone: stored.timezone };
  return { kind: 'interval', everyMs: stored.everyMs ?? 1, offsetMs: stored.offsetMs ?? 0 };
}

function startOffset(startAt: Date | number, everyMs: number): number {
  const ms = startAt instanceof Date ? startAt.getTime() : startAt;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new InvalidArgumentError('startAt', 'must be a Date or milliseconds since the epoch', startAt);
  }
  return ((ms % everyMs) + everyMs) % everyMs;
}

/** The value after a JSON round trip, so what runs later equals what `get()` shows now. */
function requireJson<T>(value: T, argument: string): T {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new InvalidArgumentError(argument, `must be JSON-serializable (${(error as Error).message})`);
  }
  if (text === undefined) throw new InvalidArgumentError(argument, 'must be JSON-serializable', value);
  return JSON.parse(text) as T;
}

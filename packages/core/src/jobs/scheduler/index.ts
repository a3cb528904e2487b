import type { Registry } from 'prom-client';
import type { Logger } from '../../logger.js';
import type { RedisConnection } from '../../redis/connection.js';
import { MemoryScheduleStore } from './memory-store.js';
import { RedisScheduleStore } from './redis-store.js';
import { JobScheduler, type ScheduleEnqueue } from './scheduler.js';
import type { ScheduleStore } from './store.js';

export interface CreateJobSchedulerOptions {
  /** Redis: schedules are shared by every process on it. Without it they live in this process. */
  connection?: RedisConnection;
  /** Prefix of every key. @default 'bp' */
  keyPrefix?: string;
  logger?: Logger;
  metrics?: Registry;
  /** Enqueues one run; normally `(task, data, options) => jobs.enqueue(task, data, options)`. */
  enqueue: ScheduleEnqueue;
  /** A store to use instead of the one `connection` selects (tests, sharing one memory store). */
  store?: ScheduleStore;
  /** Longest sleep between two looks at the due slots. @default 1000 */
  tickMs?: number;
  /** Slots claimed per look. @default 100 */
  batchSize?: number;
  /** Whether to start ticking at once; without it call `start()`. @default false */
  autoStart?: boolean;
}

/**
 * A job scheduler on Redis when `connection` is given, in memory otherwise. Any number of them may run
 * against one Redis: each slot of each schedule is enqueued once.
 *
 * @example
 * const scheduler = createJobScheduler({ connection, enqueue: (task, data, options) => jobs.enqueue(task, data, options) });
 * await scheduler.schedule({ id: 'digest', task: 'mail.digest', cron: '0 8 * * MON-FRI', timezone: 'Europe/Paris' });
 * scheduler.start();
 */
export function createJobScheduler(options: CreateJobSchedulerOptions): JobScheduler {
  const keyPrefix = options.keyPrefix ?? 'bp';
  const store =
    options.store ??
    (options.connection ? new RedisScheduleStore(options.connection, { keyPrefix }) : new MemoryScheduleStore());
  const scheduler = new JobScheduler({
    store,
    enqueue: options.enqueue,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  });
  if (options.autoStart) scheduler.start();
  return scheduler;
}

export {
  JobScheduler,
  type JobSchedulerOptions,
  type ScheduleEnqueue,
  type ScheduledEnqueueOptions,
} from './scheduler.js';
export type { ScheduleDefinition, ScheduleInfo, ScheduledJobOptions } from './definition.js';
export {
  InvalidCronError,
  nextSlot as nextScheduleSlot,
  validateCron,
  type CronField,
  type Timing as ScheduleTiming,
} from './timing.js';
export type {
  DueSlot as ScheduleDueSlot,
  PauseOutcome as SchedulePauseOutcome,
  SaveOutcome as ScheduleSaveOutcome,
  ScheduleStore,
  StoredSchedule,
} from './store.js';
export { MemoryScheduleStore } from './memory-store.js';
export { RedisScheduleStore, type RedisScheduleStoreOptions } from './redis-store.js';
export { scheduleKeys, type ScheduleKeys } from './keys.js';

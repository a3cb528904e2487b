/**
 * Every Redis key the job scheduler writes is built here. All of them share one hash tag so the
 * scripts that touch several of them run in one Redis Cluster slot.
 */
export interface ScheduleKeys {
  /** HASH: schedule id -> definition JSON. */
  readonly definitions: string;
  /** ZSET: schedule id -> next slot time (ms). Only active schedules are in it; this is what ticks claim. */
  readonly due: string;
  /** SET: ids of paused schedules. */
  readonly paused: string;
  /** HASH: schedule id -> time (ms) of the last slot that was claimed. */
  readonly lastRuns: string;
}

export function scheduleKeys(keyPrefix: string): ScheduleKeys {
  const base = `{${keyPrefix}:schedules}`;
  return {
    definitions: `${base}:definitions`,
    due: `${base}:due`,
    paused: `${base}:paused`,
    lastRuns: `${base}:last-runs`,
  };
}

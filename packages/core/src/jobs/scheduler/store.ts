/** One schedule as a store keeps it: the definition JSON plus its run state. */
export interface StoredSchedule {
  id: string;
  /** The normalized definition as JSON (see definition.ts). */
  definition: string;
  paused: boolean;
  nextRunAt: number | null;
  lastRunAt: number | null;
}

/** A slot whose time has come, as one tick saw it. */
export interface DueSlot {
  id: string;
  slot: number;
  definition: string;
}

export type SaveOutcome = 'created' | 'replaced' | 'unchanged';
export type PauseOutcome = 'changed' | 'unchanged' | 'missing';

/**
 * Where schedules live. Redis and memory implementations behave the same (one conformance suite).
 * `claim` is the only way a slot is taken, and it is a compare-and-set: of any number of schedulers
 * that saw the same slot, exactly one gets `true`.
 */
export interface ScheduleStore {
  readonly kind: 'redis' | 'memory';
  /** Creates or replaces a definition; an unchanged one keeps its next slot, a paused one stays paused. */
  save(id: string, definition: string, nextRunAt: number): Promise<SaveOutcome>;
  get(id: string): Promise<StoredSchedule | undefined>;
  /** Every schedule, ordered by id. */
  list(): Promise<StoredSchedule[]>;
  /** True when it existed. */
  remove(id: string): Promise<boolean>;
  setPaused(id: string, paused: boolean, nextRunAt: number): Promise<PauseOutcome>;
  /** Up to `limit` active slots due at `now`, earliest first, and the time of the earliest later slot. */
  due(now: number, limit: number): Promise<{ slots: DueSlot[]; nextAt: number | undefined }>;
  /**
   * Moves a schedule's next slot from `seen` to `next` if it still is `seen`; records `recordLast` as
   * the last run when given. Returns whether this caller won.
   */
  claim(id: string, seen: number, next: number, recordLast: number | undefined): Promise<boolean>;
  close(): Promise<void>;
}

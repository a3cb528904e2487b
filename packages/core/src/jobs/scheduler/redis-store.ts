import { readFileSync } from 'node:fs';
import type { RedisClient } from '../../redis/client.js';
import type { RedisConnection } from '../../redis/connection.js';
import { scheduleKeys, type ScheduleKeys } from './keys.js';
import type { DueSlot, PauseOutcome, SaveOutcome, ScheduleStore, StoredSchedule } from './store.js';

/** Resolved from src/jobs/scheduler and dist/jobs/scheduler alike: both sit three levels under packages/core. */
const lua = (name: string): string =>
  readFileSync(new URL(`../../../lua/jobs/scheduler/${name}`, import.meta.url), 'utf8');

const SCRIPTS = {
  backplaneScheduleSave: { numberOfKeys: 3, lua: lua('save-3.lua') },
  backplaneScheduleSetPaused: { numberOfKeys: 3, lua: lua('set-paused-3.lua') },
  backplaneScheduleClaim: { numberOfKeys: 2, lua: lua('claim-2.lua') },
} as const;

interface ScheduleCommands {
  backplaneScheduleSave(
    definitions: string,
    due: string,
    paused: string,
    id: string,
    json: string,
    next: number,
  ): Promise<number>;
  backplaneScheduleSetPaused(
    definitions: string,
    due: string,
    paused: string,
    id: string,
    flag: string,
    next: number,
  ): Promise<number>;
  backplaneScheduleClaim(
    due: string,
    lastRuns: string,
    id: string,
    seen: number,
    next: number,
    last: string,
  ): Promise<number>;
}

export interface RedisScheduleStoreOptions {
  /** Prefix of every key, shared with the rest of backplane. @default 'bp' */
  keyPrefix?: string;
}

/** Schedules in Redis; every change that reads before it writes is one Lua script. */
export class RedisScheduleStore implements ScheduleStore {
  readonly kind = 'redis' as const;
  private readonly connection: RedisConnection;
  private readonly redis: RedisClient & ScheduleCommands;
  private readonly keys: ScheduleKeys;

  constructor(connection: RedisConnection, options: RedisScheduleStoreOptions = {}) {
    this.connection = connection;
    this.redis = connection.redis as RedisClient & ScheduleCommands;
    this.keys = scheduleKeys(options.keyPrefix ?? 'bp');
    // The connection's client is shared by every component; define each script once on it.
    for (const [name, script] of Object.entries(SCRIPTS)) {
      if (!(name in this.redis)) this.redis.defineCommand(name, script);
    }
  }

  save(id: string, definition: string, nextRunAt: number): Promise<SaveOutcome> {
    const { definitions, due, paused } = this.keys;
    return this.run(async () => {
      const outcome = await this.redis.backplaneScheduleSave(definitions, due, paused, id, definition, nextRunAt);
      return outcome === 1 ? 'created' : outcome === 2 ? 'replaced' : 'unchanged';
    });
  }

  async get(id: string): Promise<StoredSchedule | undefined> {
    const { definitions, due, paused, lastRuns } = this.keys;
    return this.run(async () => {
      const [definition, next, isPaused, last] = await Promise.all([
        this.redis.hget(definitions, id),
        this.redis.zscore(due, id),
        this.redis.sismember(paused, id),
        this.redis.hget(lastRuns, id),
      ]);
      if (definition === null) return undefined;
      return { id, definition, paused: isPaused === 1, nextRunAt: toTime(next), lastRunAt: toTime(last) };
    });
  }

  async list(): Promise<StoredSchedule[]> {
    const { definitions, due, paused, lastRuns } = this.keys;
    return this.run(async () => {
      const replies = await this.redis
        .multi()
        .hgetall(definitions)
        .zrange(due, '0', '-1', 'WITHSCORES')
        .smembers(paused)
        .hgetall(lastRuns)
        .exec();
      const [all, dueFlat, pausedIds, last] = (replies ?? []).map(([error, value]) => {
        if (error) throw error;
        return value;
      }) as [Record<string, string>, string[], string[], Record<string, string>];
      const nextRuns = new Map<string, number>();
      for (let at = 0; at + 1 < dueFlat.length; at += 2) nextRuns.set(dueFlat[at] as string, Number(dueFlat[at + 1]));
      const pausedSet = new Set(pausedIds);
      return Object.keys(all)
        .sort()
        .map((id) => ({
          id,
          definition: all[id] as string,
          paused: pausedSet.has(id),
          nextRunAt: nextRuns.get(id) ?? null,
          lastRunAt: toTime(last[id]),
        }));
    });
  }

  async remove(id: string): Promise<boolean> {
    const { definitions, due, paused, lastRuns } = this.keys;
    return this.run(async () => {
      const replies = await this.redis
        .multi()
        .hdel(definitions, id)
        .zrem(due, id)
        .srem(paused, id)
        .hdel(lastRuns, id)
        .exec();
      const removed = replies?.[0];
      if (removed?.[0]) throw removed[0];
      return removed?.[1] === 1;
    });
  }

  async setPaused(id: string, paused: boolean, nextRunAt: number): Promise<PauseOutcome> {
    const keys = this.keys;
    return this.run(async () => {
      const outcome = await this.redis.backplaneScheduleSetPaused(
        keys.definitions,
        keys.due,
        keys.paused,
        id,
        paused ? '1' : '0',
        nextRunAt,
      );
      return outcome === -1 ? 'missing' : outcome === 1 ? 'changed' : 'unchanged';
    });
  }

  async due(now: number, limit: number): Promise<{ slots: DueSlot[]; nextAt: number | undefined }> {
    const { definitions, due } = this.keys;
    return this.run(async () => {
      // One read gives both the due slots and, one past them, how long the next tick may sleep.
      const flat = await this.redis.zrange(due, '-inf', '+inf', 'BYSCORE', 'LIMIT', 0, limit + 1, 'WITHSCORES');
      const seen: Array<{ id: string; slot: number }> = [];
      let nextAt: number | undefined;
      for (let at = 0; at + 1 < flat.length; at += 2) {
        const slot = Number(flat[at + 1]);
        if (slot > now || seen.length === limit) {
          nextAt = slot;
          break;
        }
        seen.push({ id: flat[at] as string, slot });
      }
      if (seen.length === 0) return { slots: [], nextAt };
      const texts = await this.redis.hmget(definitions, ...seen.map((entry) => entry.id));
      const slots: DueSlot[] = [];
      seen.forEach((entry, index) => {
        const definition = texts[index];
        // Removed between the two reads: the claim would fail anyway.
        if (definition !== null && definition !== undefined) slots.push({ ...entry, definition });
      });
      return { slots, nextAt };
    });
  }

  async claim(id: string, seen: number, next: number, recordLast: number | undefined): Promise<boolean> {
    const { due, lastRuns } = this.keys;
    return this.run(async () => {
      const won = await this.redis.backplaneScheduleClaim(
        due,
        lastRuns,
        id,
        seen,
        next,
        recordLast === undefined ? '' : String(recordLast),
      );
      return won === 1;
    });
  }

  /** The connection belongs to whoever passed it in; nothing to close here. */
  async close(): Promise<void> {}

  private async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.connection.unavailable(error);
    }
  }
}

function toTime(value: string | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

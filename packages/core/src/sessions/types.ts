import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import type { RedisConnection } from '../redis/connection.js';
import type { Duration } from '../util/duration.js';

/** What a session holds: a plain object whose top-level values are JSON. */
export type SessionData = Record<string, unknown>;

/** One session as read from the store. Times are milliseconds since the epoch. */
export interface Session<T extends SessionData = SessionData> {
  readonly id: string;
  readonly data: T;
  /** The user the session belongs to, for `listByUser` and `destroyAllForUser`. */
  readonly userId: string | undefined;
  /** Grows by one on every write; the token for `updateIf`. */
  readonly version: number;
  readonly createdAt: number;
  /** When the session ends unless it is touched or written (the idle deadline, capped by the absolute one). */
  readonly expiresAt: number;
  /** When the session ends whatever happens (createdAt + absoluteLifetime). */
  readonly absoluteExpiresAt: number;
}

/** What a write leaves behind, without sending the whole session back. */
export interface SessionWriteResult {
  readonly version: number;
  readonly expiresAt: number;
}

/**
 * A patch for `update`: the listed top-level keys are replaced, a key whose value is `undefined` is
 * removed, every other key is left as it is.
 */
export type SessionPatch<T extends SessionData> = { [K in keyof T]?: T[K] | undefined };

export interface CreateSessionOptions {
  /** Indexes the session under this user for `listByUser` / `destroyAllForUser`. */
  userId?: string | undefined;
}

export interface RegenerateSessionOptions {
  /** A user for the new session (login); `null` removes the user; absent keeps the current one. */
  userId?: string | null | undefined;
}

export interface SessionStats {
  readonly backend: 'memory' | 'redis';
  /** `true` while a memory-fallback store serves from memory because Redis is down. */
  readonly fallbackActive: boolean;
  /** Sessions alive now; on Redis counted with SCAN, at most every `activeCountInterval`, so approximate. */
  readonly active: number | null;
  /** Counters of this process since the store was built. */
  readonly creates: number;
  readonly destroys: number;
  readonly touches: number;
  readonly updates: number;
  readonly regenerates: number;
}

/**
 * A session store: server-side sessions with a sliding idle timeout and an absolute lifetime, on Redis or
 * in memory. Malformed or unknown ids are "no session", never an error.
 */
export interface SessionStore<T extends SessionData = SessionData> {
  readonly kind: 'memory' | 'redis';
  /** Creates a session under a new random id (192 bits, base64url). */
  create(data: T, options?: CreateSessionOptions): Promise<Session<T>>;
  /** The session, or `undefined` when the id is unknown, malformed or expired. Does not slide the expiry. */
  get(id: string): Promise<Session<T> | undefined>;
  /**
   * Writes the whole session under a caller-chosen id, creating it when absent (for framework adapters
   * that generate their own ids). Keeps the creation time, so the absolute lifetime still holds.
   */
  set(id: string, data: T, options?: CreateSessionOptions): Promise<Session<T>>;
  /** Merges top-level keys into the session atomically and slides its expiry; `undefined` when absent. */
  update(id: string, patch: SessionPatch<T>): Promise<SessionWriteResult | undefined>;
  /** `update` that applies only when the session is still at `expectedVersion`; else `E_SESSION_CONFLICT`. */
  updateIf(id: string, expectedVersion: number, patch: SessionPatch<T>): Promise<SessionWriteResult | undefined>;
  /** Slides the idle expiry without rewriting data; resolves to the new expiry, `undefined` when absent. */
  touch(id: string): Promise<number | undefined>;
  /** Removes the session; `true` when it existed. */
  destroy(id: string): Promise<boolean>;
  /** Moves the session to a new id in one atomic step (the old id is gone); `undefined` when absent. */
  regenerate(id: string, options?: RegenerateSessionOptions): Promise<Session<T> | undefined>;
  /** The live sessions of a user; stale index entries are pruned on the way. */
  listByUser(userId: string): Promise<Array<Session<T>>>;
  /** Destroys every session of a user ("log out everywhere"); resolves to how many were removed. */
  destroyAllForUser(userId: string): Promise<number>;
  /** Every live session (for adapters' `all`); on Redis a SCAN, so meant for small stores and admin use. */
  all(): Promise<Array<Session<T>>>;
  /** How many sessions are alive; on Redis a SCAN. */
  count(): Promise<number>;
  /** Removes every session and user index of this store (this key prefix only). */
  clear(): Promise<number>;
  stats(): Promise<SessionStats>;
  /** Idempotent. Does not close the Redis connection, which belongs to its owner. */
  close(): Promise<void>;
}

export type RedisDownPolicy = 'fail-closed' | 'memory-fallback';

export interface SessionStoreOptions {
  /** Redis to keep sessions in; without it sessions live in this process's memory. */
  connection?: RedisConnection | undefined;
  /** Prefix of every Redis key. @default 'bp' */
  keyPrefix?: string;
  logger?: Logger;
  /** Registers `backplane_sessions_*` collectors in this registry. */
  metrics?: Registry;
  /** A session not read-and-touched or written for this long ends (sliding). @default '30m' */
  idleTimeout?: Duration;
  /** A session ends this long after it was created, however active it is. @default '24h' */
  absoluteLifetime?: Duration;
  /** Largest session data, in bytes of its stored JSON (keys included). @default 65536 */
  maxBytes?: number;
  /**
   * What a Redis store does when Redis is down: `'fail-closed'` rejects with `E_REDIS_UNAVAILABLE` (map it
   * to 503), `'memory-fallback'` serves from process memory for the outage (see docs/sessions.md for
   * its limits). Ignored by the memory store.
   * @default 'fail-closed'
   */
  onRedisDown?: RedisDownPolicy;
  /** How long a counted number of active sessions is reused (Redis counts with SCAN). @default '15s' */
  activeCountInterval?: Duration;
}

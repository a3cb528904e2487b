import { LRUCache } from 'lru-cache';
import { BackplaneError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import type { RedisConnection } from '../redis/connection.js';
import { scanKeys, unlinkKeys } from '../redis/keyspace.js';
import type { SessionData } from './types.js';
import type {
  PatchOutcome,
  RegenerateOutcome,
  SessionBackend,
  SessionLimits,
  StoredSession,
  UserChange,
  WriteOptions,
  WriteOutcome,
} from './backend.js';
import { decodeData, decodeUserId, encodeUserId, isDataField, type EncodedFields } from './codec.js';
import { sessionKeys, type SessionKeys } from './keys.js';
import { sessionScripts, type SessionScripts } from './lua.js';

const SCAN_COUNT = 1000;
const ABSOLUTE_CACHE_ENTRIES = 50_000;

/**
 * Sessions on Redis: one hash per session (a field per top-level data key plus `_v`, `_c`, `_a`, `_u`,
 * `_b` metadata) whose key expiry is the idle deadline capped by the absolute one, so Redis itself ends
 * sessions. Every command touches one key, or two keys of one slot (regenerate): Cluster-safe. The
 * scans of `all`, `count` and `clear` visit every master of a cluster.
 */
export class RedisSessionBackend implements SessionBackend {
  readonly kind = 'redis' as const;
  private readonly connection: RedisConnection;
  private readonly redis: RedisClient;
  private readonly keys: SessionKeys;
  private readonly scripts: SessionScripts;
  private readonly limits: SessionLimits;
  /** Absolute deadlines of ids this process read or wrote lately, which lets `touch` skip its script. */
  private readonly absolutes: LRUCache<string, number>;
  private closed = false;

  constructor(connection: RedisConnection, keyPrefix: string, limits: SessionLimits) {
    this.connection = connection;
    this.redis = connection.redis;
    this.keys = sessionKeys(keyPrefix);
    this.scripts = sessionScripts(this.redis);
    this.limits = limits;
    this.absolutes = new LRUCache({ max: ABSOLUTE_CACHE_ENTRIES });
  }

  write(id: string, fields: EncodedFields, options: WriteOptions): Promise<WriteOutcome> {
    return this.run(async () => {
      // The index entry goes first: a session that exists unindexed would escape destroyAllForUser.
      if (options.userId !== undefined) await this.index(options.userId, id, []);
      const restore = options.restore;
      const reply = (await this.scripts.write(
        [this.keys.session(id)],
        [
          options.mode,
          this.limits.idleMs,
          this.limits.absoluteMs,
          options.userId === undefined ? '' : encodeUserId(options.userId),
          options.bytes,
          restore?.createdAt ?? '',
          restore?.absoluteExpiresAt ?? '',
          restore?.version ?? '',
          ...fields.flat(),
        ],
      )) as [number, number?, string?, number?, number?, number?];
      const [status, expiresAt = 0, previous = '', version = 0, createdAt = 0, absoluteExpiresAt = 0] = reply;
      if (status === 2) return { status: 'exists' };
      if (status === 3) return { status: 'expired' };
      const previousUserId = decodeUserId(previous);
      if (previousUserId !== undefined && previousUserId !== options.userId) await this.index(previousUserId, '', [id]);
      const session: StoredSession = {
        id,
        data: decodeData(fields),
        userId: options.userId,
        version,
        createdAt,
        expiresAt,
        absoluteExpiresAt,
      };
      this.absolutes.set(id, absoluteExpiresAt);
      return { status: 'ok', session, previousUserId };
    });
  }

  read(id: string): Promise<StoredSession | undefined> {
    return this.run(async () => {
      // Two plain commands, sent together by auto-pipelining: HGETALL and PTTL cost Redis' single thread a
      // few µs, where a script building the same answer cost it ~25 µs (docs/sessions.md). Not atomic,
      // and need not be: a key that expires in between reads as absent through PTTL.
      const key = this.keys.session(id);
      const [flat, pttl] = await Promise.all([
        this.redis.call('HGETALL', key) as Promise<string[]>,
        this.redis.pttl(key),
      ]);
      if (flat.length === 0 || pttl < 0) {
        this.absolutes.delete(id);
        return undefined;
      }
      const session = parseSession(id, flat, Date.now() + pttl);
      this.absolutes.set(id, session.absoluteExpiresAt);
      return session;
    });
  }

  patch(id: string, set: EncodedFields, remove: string[], expectedVersion: number | undefined): Promise<PatchOutcome> {
    return this.run(async () => {
      const reply = (await this.scripts.patch(
        [this.keys.session(id)],
        [expectedVersion ?? '', this.limits.idleMs, this.limits.maxBytes, set.length, ...set.flat(), ...remove],
      )) as [number, number?, number?];
      const [status, first = 0, second = 0] = reply;
      if (status === 0) return { status: 'missing' };
      if (status === 2) return { status: 'conflict', version: first };
      if (status === 3) return { status: 'too-large', bytes: first };
      return { status: 'ok', version: first, expiresAt: second };
    });
  }

  touch(id: string): Promise<number | undefined> {
    return this.run(async () => {
      const key = this.keys.session(id);
      const absolute = this.absolutes.get(id);
      if (absolute === undefined) {
        const expiresAt = (await this.scripts.touch([key], [this.limits.idleMs])) as number;
        return expiresAt < 0 ? undefined : expiresAt;
      }
      // The absolute deadline of an id never changes, so with it known a plain PEXPIRE can apply the cap
      // (on this process's clock): one cheap command instead of a script on every request.
      const now = Date.now();
      const ttl = Math.min(this.limits.idleMs, absolute - now);
      if (ttl <= 0) {
        this.absolutes.delete(id);
        return undefined;
      }
      if ((await this.redis.pexpire(key, ttl)) === 0) {
        this.absolutes.delete(id);
        return undefined;
      }
      return now + ttl;
    });
  }

  destroy(id: string, onlyUserId?: string): Promise<boolean> {
    return this.run(async () => {
      const only = onlyUserId === undefined ? '' : encodeUserId(onlyUserId);
      const stored = (await this.scripts.destroy([this.keys.session(id)], [only])) as string | null;
      this.absolutes.delete(id);
      if (stored === null) return false;
      const user = decodeUserId(stored);
      if (user !== undefined) await this.index(user, '', [id]);
      return true;
    });
  }

  regenerate(oldId: string, newId: string, change: UserChange): Promise<RegenerateOutcome> {
    return this.run(async () => {
      // Index the new id under its future user before it exists (see write); keeping the user needs a read.
      const user = change === undefined ? decodeUserId(await this.redis.hget(this.keys.session(oldId), '_u')) : change;
      if (typeof user === 'string') await this.index(user, newId, []);
      const mode = change === undefined ? 'keep' : change === null ? 'clear' : 'set';
      const reply = (await this.scripts.regenerate(
        [this.keys.session(oldId), this.keys.session(newId)],
        [this.limits.idleMs, mode, typeof change === 'string' ? encodeUserId(change) : ''],
      )) as [number, number?, string?, string[]?];
      const [status, expiresAt = 0, previous = '', fields = []] = reply;
      if (status !== 1) {
        if (typeof user === 'string') await this.index(user, '', [newId]);
        return { status: status === 0 ? 'missing' : 'exists' };
      }
      const previousUserId = decodeUserId(previous);
      if (previousUserId !== undefined) await this.index(previousUserId, '', [oldId]);
      const session = parseSession(newId, fields, expiresAt);
      this.absolutes.delete(oldId);
      this.absolutes.set(newId, session.absoluteExpiresAt);
      return { status: 'ok', session, previousUserId };
    });
  }

  listByUser(userId: string): Promise<StoredSession[]> {
    return this.run(async () => {
      const ids = await this.redis.zrange(this.keys.userIndex(userId), '0', '-1');
      const sessions = await Promise.all(ids.map((id) => this.read(id)));
      const live: StoredSession[] = [];
      const stale: string[] = [];
      ids.forEach((id, i) => {
        const session = sessions[i];
        if (session && session.userId === userId) live.push(session);
        else stale.push(id);
      });
      if (stale.length > 0) await this.index(userId, '', stale);
      return live;
    });
  }

  destroyAllForUser(userId: string): Promise<number> {
    return this.run(async () => {
      const ids = await this.redis.zrange(this.keys.userIndex(userId), '0', '-1');
      const removed = await Promise.all(ids.map((id) => this.destroyOwned(id, userId)));
      // Only the ids seen are removed from the index: one added meanwhile belongs to a session being created.
      if (ids.length > 0) await this.index(userId, '', ids);
      return removed.filter(Boolean).length;
    });
  }

  all(): Promise<StoredSession[]> {
    return this.run(async () => {
      const found: StoredSession[] = [];
      for await (const keys of this.scan(this.keys.sessionPattern)) {
        const sessions = await Promise.all(keys.map((key) => this.read(this.keys.idOf(key))));
        for (const session of sessions) if (session) found.push(session);
      }
      return found;
    });
  }

  count(): Promise<number> {
    return this.run(async () => {
      let total = 0;
      for await (const keys of this.scan(this.keys.sessionPattern)) total += keys.length;
      return total;
    });
  }

  clear(): Promise<number> {
    return this.run(async () => {
      let removed = 0;
      this.absolutes.clear();
      for (const pattern of [this.keys.sessionPattern, this.keys.indexPattern]) {
        for await (const keys of this.scan(pattern)) {
          const count = await unlinkKeys(this.redis, keys);
          if (pattern === this.keys.sessionPattern) removed += count;
        }
      }
      return removed;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async destroyOwned(id: string, userId: string): Promise<boolean> {
    const stored = (await this.scripts.destroy([this.keys.session(id)], [encodeUserId(userId)])) as string | null;
    if (stored !== null) this.absolutes.delete(id);
    return stored !== null;
  }

  private async index(userId: string, add: string, remove: string[]): Promise<void> {
    await this.scripts.index([this.keys.userIndex(userId)], [add, this.limits.absoluteMs, ...remove]);
  }

  private scan(pattern: string): AsyncGenerator<string[]> {
    return scanKeys(this.redis, pattern, SCAN_COUNT);
  }

  private async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new BackplaneError('E_CLOSED', 'redis session store is closed');
    try {
      return await operation();
    } catch (error) {
      if (error instanceof BackplaneError) throw error;
      throw this.connection.unavailable(error);
    }
  }
}

/**
 * A session from a flat HGETALL reply. Data field names are JSON-encoded keys and their values JSON texts,
 * so joining them gives the data object's JSON: one JSON.parse instead of one per field.
 */
function parseSession(id: string, flat: string[], expiresAt: number): StoredSession {
  let json = '';
  const fields: EncodedFields = [];
  const meta: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i] as string;
    const value = flat[i + 1] as string;
    if (isDataField(field)) {
      json += `${json === '' ? '' : ','}${field}:${value}`;
      fields.push([field, value]);
    } else {
      meta[field] = value;
    }
  }
  return {
    id,
    data: parseData(json, fields),
    userId: decodeUserId(meta._u),
    version: Number(meta._v ?? 0),
    createdAt: Number(meta._c ?? 0),
    expiresAt,
    absoluteExpiresAt: Number(meta._a ?? 0),
  };
}

/** Falls back to field-by-field decoding (which skips a bad field) if something else wrote one that does not parse. */
function parseData(joined: string, fields: EncodedFields): SessionData {
  try {
    return JSON.parse(`{${joined}}`) as SessionData;
  } catch {
    return decodeData(fields);
  }
}

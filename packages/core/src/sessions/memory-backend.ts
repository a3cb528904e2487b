import { BackplaneError } from '../errors.js';
import { decodeData, type EncodedFields } from './codec.js';
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

interface Entry {
  fields: Map<string, string>;
  bytes: number;
  userId: string | undefined;
  version: number;
  createdAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
}

/**
 * Sessions in this process: the embedded default, and the outage store of memory-fallback. Same
 * semantics as Redis; expired sessions are dropped when read and by a periodic sweep.
 */
export class MemorySessionBackend implements SessionBackend {
  readonly kind = 'memory' as const;
  private readonly sessions = new Map<string, Entry>();
  private readonly users = new Map<string, Set<string>>();
  private readonly limits: SessionLimits;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(limits: SessionLimits, sweepIntervalMs = 30_000) {
    this.limits = limits;
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
    this.sweeper.unref();
  }

  async write(id: string, fields: EncodedFields, options: WriteOptions): Promise<WriteOutcome> {
    this.assertOpen();
    const now = Date.now();
    const existing = this.live(id, now);
    if (existing && options.mode === 'create') return { status: 'exists' };
    const createdAt = options.restore?.createdAt ?? existing?.createdAt ?? now;
    const absoluteExpiresAt =
      options.restore?.absoluteExpiresAt ?? existing?.absoluteExpiresAt ?? now + this.limits.absoluteMs;
    const entry: Entry = {
      fields: new Map(fields),
      bytes: options.bytes,
      userId: options.userId,
      version: options.restore?.version ?? (existing ? existing.version + 1 : 1),
      createdAt,
      absoluteExpiresAt,
      expiresAt: Math.min(now + this.limits.idleMs, absoluteExpiresAt),
    };
    if (entry.expiresAt <= now) return { status: 'expired' };
    const previousUserId = existing?.userId;
    this.put(id, entry, previousUserId);
    return { status: 'ok', session: this.toStored(id, entry), previousUserId };
  }

  async read(id: string): Promise<StoredSession | undefined> {
    this.assertOpen();
    const entry = this.live(id, Date.now());
    return entry && this.toStored(id, entry);
  }

  async patch(
    id: string,
    set: EncodedFields,
    remove: string[],
    expectedVersion: number | undefined,
  ): Promise<PatchOutcome> {
    this.assertOpen();
    const now = Date.now();
    const entry = this.live(id, now);
    if (!entry) return { status: 'missing' };
    if (expectedVersion !== undefined && entry.version !== expectedVersion) {
      return { status: 'conflict', version: entry.version };
    }
    let bytes = entry.bytes;
    for (const [field, json] of set)
      bytes += Buffer.byteLength(field) + Buffer.byteLength(json) - this.sizeOf(entry, field);
    for (const field of remove) bytes -= this.sizeOf(entry, field);
    if (bytes > this.limits.maxBytes) return { status: 'too-large', bytes };
    for (const [field, json] of set) entry.fields.set(field, json);
    for (const field of remove) entry.fields.delete(field);
    entry.bytes = bytes;
    entry.version += 1;
    entry.expiresAt = Math.min(now + this.limits.idleMs, entry.absoluteExpiresAt);
    return { status: 'ok', version: entry.version, expiresAt: entry.expiresAt };
  }

  async touch(id: string): Promise<number | undefined> {
    this.assertOpen();
    const now = Date.now();
    const entry = this.live(id, now);
    if (!entry) return undefined;
    entry.expiresAt = Math.min(now + this.limits.idleMs, entry.absoluteExpiresAt);
    return entry.expiresAt;
  }

  async destroy(id: string, onlyUserId?: string): Promise<boolean> {
    this.assertOpen();
    const entry = this.live(id, Date.now());
    if (!entry) return false;
    if (onlyUserId !== undefined && entry.userId !== onlyUserId) return false;
    this.remove(id, entry);
    return true;
  }

  async regenerate(oldId: string, newId: string, user: UserChange): Promise<RegenerateOutcome> {
    this.assertOpen();
    const now = Date.now();
    const entry = this.live(oldId, now);
    if (!entry) return { status: 'missing' };
    if (this.live(newId, now)) return { status: 'exists' };
    const previousUserId = entry.userId;
    this.remove(oldId, entry);
    const moved: Entry = {
      ...entry,
      userId: user === undefined ? entry.userId : (user ?? undefined),
      version: entry.version + 1,
      expiresAt: Math.min(now + this.limits.idleMs, entry.absoluteExpiresAt),
    };
    this.put(newId, moved, undefined);
    return { status: 'ok', session: this.toStored(newId, moved), previousUserId };
  }

  async listByUser(userId: string): Promise<StoredSession[]> {
    this.assertOpen();
    const now = Date.now();
    const found: StoredSession[] = [];
    for (const id of [...(this.users.get(userId) ?? [])]) {
      const entry = this.live(id, now);
      if (entry) found.push(this.toStored(id, entry));
    }
    return found;
  }

  async destroyAllForUser(userId: string): Promise<number> {
    this.assertOpen();
    let removed = 0;
    for (const id of [...(this.users.get(userId) ?? [])]) {
      if (await this.destroy(id, userId)) removed += 1;
    }
    return removed;
  }

  async all(): Promise<StoredSession[]> {
    this.assertOpen();
    this.sweep();
    return [...this.sessions].map(([id, entry]) => this.toStored(id, entry));
  }

  async count(): Promise<number> {
    this.assertOpen();
    this.sweep();
    return this.sessions.size;
  }

  async clear(): Promise<number> {
    this.assertOpen();
    const removed = this.sessions.size;
    this.sessions.clear();
    this.users.clear();
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    this.sessions.clear();
    this.users.clear();
  }

  /** The entry when it exists and has not expired; an expired one is removed on the way. */
  private live(id: string, now: number): Entry | undefined {
    const entry = this.sessions.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt > now) return entry;
    this.remove(id, entry);
    return undefined;
  }

  private put(id: string, entry: Entry, previousUserId: string | undefined): void {
    this.sessions.set(id, entry);
    if (previousUserId !== undefined && previousUserId !== entry.userId) this.unindex(previousUserId, id);
    if (entry.userId === undefined) return;
    let ids = this.users.get(entry.userId);
    if (!ids) this.users.set(entry.userId, (ids = new Set()));
    ids.add(id);
  }

  private remove(id: string, entry: Entry): void {
    this.sessions.delete(id);
    if (entry.userId !== undefined) this.unindex(entry.userId, id);
  }

  private unindex(userId: string, id: string): void {
    const ids = this.users.get(userId);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.users.delete(userId);
  }

  private sizeOf(entry: Entry, field: string): number {
    const json = entry.fields.get(field);
    return json === undefined ? 0 : Buffer.byteLength(field) + Buffer.byteLength(json);
  }

  private sweep(): void {
    const now = Date.now();
    for (const id of [...this.sessions.keys()]) this.live(id, now);
  }

  private toStored(id: string, entry: Entry): StoredSession {
    return {
      id,
      data: decodeData(entry.fields),
      userId: entry.userId,
      version: entry.version,
      createdAt: entry.createdAt,
      expiresAt: entry.expiresAt,
      absoluteExpiresAt: entry.absoluteExpiresAt,
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new BackplaneError('E_CLOSED', 'memory session store is closed');
  }
}

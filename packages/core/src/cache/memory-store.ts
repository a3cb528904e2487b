import { LRUCache } from 'lru-cache';
import { BackplaneError } from '../errors.js';
import type { CacheStore } from './store.js';

export interface MemoryCacheStoreOptions {
  /** Most entries kept; the least recently used go first, as with Redis' allkeys-lru. @default 100_000 */
  maxEntries?: number;
  /** Most bytes of values kept. @default 256 MiB */
  maxBytes?: number;
}

/** The embedded L2: one process, same semantics as the Redis store, gone when the process ends. */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory' as const;
  private readonly entries: LRUCache<string, Buffer>;
  /** Tag name to the keys carrying it, and when the index may be forgotten. */
  private readonly tags = new Map<string, { keys: Set<string>; expiresAt: number }>();
  private readonly leases = new Map<string, { token: string; expiresAt: number }>();
  private closed = false;

  constructor(options: MemoryCacheStoreOptions = {}) {
    this.entries = new LRUCache<string, Buffer>({
      max: options.maxEntries ?? 100_000,
      maxSize: options.maxBytes ?? 256 * 1024 * 1024,
      sizeCalculation: (value) => Math.max(1, value.byteLength),
      // Expired entries are dropped on a timer too, so memory does not hold what nobody reads again.
      ttlAutopurge: true,
    });
  }

  async get(key: string): Promise<Buffer | undefined> {
    this.assertOpen();
    return this.entries.get(key);
  }

  async getMany(keys: readonly string[]): Promise<Array<Buffer | undefined>> {
    this.assertOpen();
    return keys.map((key) => this.entries.get(key));
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    this.assertOpen();
    this.entries.set(key, value, { ttl: Math.max(1, Math.round(ttlMs)) });
  }

  async delete(keys: readonly string[]): Promise<number> {
    this.assertOpen();
    let removed = 0;
    for (const key of keys) if (this.entries.delete(key)) removed += 1;
    return removed;
  }

  async has(key: string): Promise<boolean> {
    this.assertOpen();
    return this.entries.has(key);
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    const value = this.entries.get(key, { updateAgeOnGet: false });
    if (value === undefined) return false;
    this.entries.set(key, value, { ttl: Math.max(1, Math.round(ttlMs)) });
    return true;
  }

  async ttl(key: string): Promise<number | undefined> {
    this.assertOpen();
    if (!this.entries.has(key)) return undefined;
    return Math.max(0, Math.round(this.entries.getRemainingTTL(key)));
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    this.assertOpen();
    let removed = 0;
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(prefix) && this.entries.delete(key)) removed += 1;
    }
    return removed;
  }

  async tag(key: string, tags: readonly string[], ttlMs: number): Promise<void> {
    this.assertOpen();
    const now = Date.now();
    const expiresAt = now + Math.max(1, Math.round(ttlMs));
    for (const tag of tags) {
      let index = this.tags.get(tag);
      if (!index || index.expiresAt <= now) {
        index = { keys: new Set(), expiresAt };
        this.tags.set(tag, index);
      }
      index.keys.add(key);
      index.expiresAt = Math.max(index.expiresAt, expiresAt);
    }
  }

  async deleteByTags(tags: readonly string[]): Promise<string[]> {
    this.assertOpen();
    const named = new Set<string>();
    for (const tag of tags) {
      const index = this.tags.get(tag);
      this.tags.delete(tag);
      if (!index || index.expiresAt <= Date.now()) continue;
      for (const key of index.keys) named.add(key);
    }
    for (const key of named) this.entries.delete(key);
    return [...named];
  }

  async acquireLease(key: string, token: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    const now = Date.now();
    const held = this.leases.get(key);
    if (held && held.expiresAt > now) return false;
    this.leases.set(key, { token, expiresAt: now + Math.max(1, Math.round(ttlMs)) });
    return true;
  }

  async releaseLease(key: string, token: string): Promise<boolean> {
    this.assertOpen();
    const held = this.leases.get(key);
    if (!held || held.token !== token || held.expiresAt <= Date.now()) return false;
    this.leases.delete(key);
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.entries.clear();
    this.tags.clear();
    this.leases.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new BackplaneError('E_CLOSED', 'memory cache store is closed');
  }
}

import { LRUCache } from 'lru-cache';
import type { EntryTimes } from './serializer.js';

export interface L1Options {
  /** Most entries kept; the least recently used go first. @default 10_000 */
  maxEntries?: number;
  /** Most bytes kept, counted as each value's encoded size. @default 64 MiB */
  maxBytes?: number;
}

/** A decoded value in the L1, with its times and the tags it can be invalidated by. */
export interface L1Entry extends EntryTimes {
  value: unknown;
  size: number;
  tags: readonly string[];
}

/**
 * The in-process tier. It keeps decoded values, so an L1 hit costs a map lookup and no decoding; the
 * price is that callers share the returned object and must not mutate it. Expiry is checked by the
 * cache against the entry's own times, so the LRU runs without timers.
 */
export class L1Tier {
  private readonly lru: LRUCache<string, L1Entry>;
  /** Tag to the keys in this L1 carrying it, so a tag invalidation from the bus is cheap. */
  private readonly byTag = new Map<string, Set<string>>();

  constructor(options: L1Options, onEvict: () => void) {
    this.lru = new LRUCache<string, L1Entry>({
      max: options.maxEntries ?? 10_000,
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (entry) => Math.max(1, entry.size),
      dispose: (entry, key, reason) => {
        if (reason === 'evict') onEvict();
        if (entry.tags.length > 0) this.untag(key, entry.tags);
      },
    });
  }

  get(key: string): L1Entry | undefined {
    return this.lru.get(key);
  }

  set(key: string, entry: L1Entry): void {
    // A value bigger than the whole L1 would be refused by lru-cache with a throw; it simply stays in L2.
    if (entry.size > this.lru.maxSize) {
      this.lru.delete(key);
      return;
    }
    this.lru.set(key, entry);
    for (const tag of entry.tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  deleteByPrefix(prefix: string): void {
    if (prefix === '') {
      this.clear();
      return;
    }
    for (const key of [...this.lru.keys()]) if (key.startsWith(prefix)) this.lru.delete(key);
  }

  deleteByTags(tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      for (const key of [...keys]) this.lru.delete(key);
      this.byTag.delete(tag);
    }
  }

  clear(): void {
    this.lru.clear();
    this.byTag.clear();
  }

  get entries(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  private untag(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }
}

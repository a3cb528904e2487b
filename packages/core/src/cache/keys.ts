/**
 * Every Redis key and channel the cache uses is built here. Entries live under `<prefix>:cache:`; a
 * caller's key is used as is after that, so `SCAN MATCH` on a caller's prefix finds exactly its entries.
 * Tag indexes, loader leases and the invalidation bus sit beside that folder, never inside it, so a
 * prefix scan of entries never meets them.
 */
export interface CacheKeys {
  /** The Redis key of one cache entry. */
  entry(key: string): string;
  /** The caller's key back from a Redis key. */
  userKey(redisKey: string): string;
  /** A SCAN pattern that matches every entry whose caller key starts with `prefix`. */
  match(prefix: string): string;
  /** The set of caller keys that carry `tag`. */
  tag(tag: string): string;
  /** The short lease one process holds while it loads `key` for every process. */
  lease(key: string): string;
  /** The pub/sub channel on which processes tell each other what to drop from their L1. */
  readonly busChannel: string;
}

export function cacheKeys(keyPrefix: string): CacheKeys {
  const base = `${keyPrefix}:cache:`;
  const tagBase = `${keyPrefix}:cache-tag:`;
  const leaseBase = `${keyPrefix}:cache-lease:`;
  return {
    entry: (key) => base + key,
    userKey: (redisKey) => redisKey.slice(base.length),
    match: (prefix) => `${escapeGlob(base + prefix)}*`,
    tag: (tag) => tagBase + tag,
    lease: (key) => leaseBase + key,
    busChannel: `${keyPrefix}:cache-bus`,
  };
}

/** Escapes the characters SCAN MATCH treats as wildcards, so a prefix matches literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

/**
 * The cache's shared tier (L2): bytes under string keys with a hard expiry. One interface, a Redis and a
 * memory implementation, one conformance suite (`backplane/testing`). Keys given to a store are the
 * caller's keys; the store adds its own prefix.
 */
export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  /** The stored bytes, or `undefined` when absent or expired. */
  get(key: string): Promise<Buffer | undefined>;
  /** Several keys in one round trip, answers in the order asked. */
  getMany(keys: readonly string[]): Promise<Array<Buffer | undefined>>;
  /** Stores bytes that expire after `ttlMs` (> 0), replacing any previous value and expiry. */
  set(key: string, value: Buffer, ttlMs: number): Promise<void>;
  /** Removes keys; resolves to how many existed. */
  delete(keys: readonly string[]): Promise<number>;
  has(key: string): Promise<boolean>;
  /** Gives an existing key a new expiry; `false` when the key is absent. */
  expire(key: string, ttlMs: number): Promise<boolean>;
  /** Remaining lifetime in ms, or `undefined` when absent. */
  ttl(key: string): Promise<number | undefined>;
  /** Removes every key that starts with `prefix` (an empty prefix removes all of this store's keys). */
  deleteByPrefix(prefix: string): Promise<number>;
  /**
   * Records that `key` carries `tags`, for `deleteByTags`. Each tag's index lives at least `ttlMs`, so
   * it outlives the entries it names.
   */
  tag(key: string, tags: readonly string[], ttlMs: number): Promise<void>;
  /** Removes every key recorded under any of `tags` and those indexes; resolves to the keys named. */
  deleteByTags(tags: readonly string[]): Promise<string[]>;
  /**
   * Takes the loader lease of `key` for `ttlMs` when nobody holds it: `true` when `token` got it. Only one
   * holder at a time across every process sharing the store.
   */
  acquireLease(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Frees the lease when `token` still holds it; `false` when it expired or another holds it. */
  releaseLease(key: string, token: string): Promise<boolean>;
  /** Idempotent. The store's owner closes shared connections, not the store. */
  close(): Promise<void>;
}

import { InvalidArgumentError } from '../errors.js';
import { toMilliseconds, type Duration } from '../util/duration.js';

/** Anything with zod's `safeParse` or `parse` (zod, valibot adapters, hand-written checks). */
export type CacheSchema<T> =
  | { safeParse(value: unknown): { success: true; data: T } | { success: false; error?: unknown } }
  | { parse(value: unknown): T };

/** What a loader receives. */
export interface LoaderContext {
  /** Aborted when the hard timeout passes; pass it to fetch or your database driver. */
  signal: AbortSignal;
  /** The caller's key (without namespace). */
  key: string;
}

export type Loader<T> = (context: LoaderContext) => Promise<T> | T;

/** Options of one entry; each falls back to the namespace's, then to the cache's defaults. */
export interface CacheEntryOptions<T = unknown> {
  /**
   * How long a value is fresh: milliseconds or a string like `'30s'`, `'24h'`; or a function of the
   * loaded value (short while a job runs, long once it is done).
   * @default '5m'
   * @example ttl: (job) => (job.state === 'done' ? '24h' : '2s')
   */
  ttl?: Duration | ((value: T) => Duration);
  /**
   * After `ttl`, how long the old value is still served while ONE refresh runs in the background.
   * @default 0
   */
  stale?: Duration;
  /** After `ttl`, how long the old value answers when the loader fails or times out. @default 0 */
  staleIfError?: Duration;
  /**
   * With a stale value at hand, how long to wait for the loader before answering stale; the loader
   * goes on in the background and stores its value. Off when undefined.
   * @default undefined
   */
  softTimeout?: Duration;
  /** The most a loader may take; then its signal aborts and the call fails (or answers stale). @default undefined */
  hardTimeout?: Duration;
  /**
   * Shortens each ttl by a random share up to this fraction (0..1), so keys written together do not
   * expire together.
   * @default 0
   */
  jitter?: number;
  /** Tags to invalidate the entry by (`cache.invalidateTags(['user:1'])`). @default [] */
  tags?: readonly string[];
  /** Checked on every read from L2; a value that fails is a miss and is loaded again. @default undefined */
  schema?: CacheSchema<T>;
  /**
   * One loader run across all processes: the first takes a short Redis lease, the others wait for its
   * value (at most `leaseWait`), then load themselves.
   * @default false
   */
  lease?: boolean;
  /** How long a lease is held at most; should exceed the loader's time. @default '5s' */
  leaseTtl?: Duration;
  /** How long a process waits for another's lease before loading itself. @default leaseTtl */
  leaseWait?: Duration;
}

/** The options the cache runs with, durations in ms. */
export interface ResolvedEntryOptions {
  ttl: number | ((value: unknown) => Duration);
  stale: number;
  staleIfError: number;
  softTimeout: number | undefined;
  hardTimeout: number | undefined;
  jitter: number;
  tags: readonly string[];
  schema: CacheSchema<unknown> | undefined;
  lease: boolean;
  leaseTtl: number;
  leaseWait: number;
}

export const BUILT_IN_DEFAULTS: ResolvedEntryOptions = {
  ttl: 300_000,
  stale: 0,
  staleIfError: 0,
  softTimeout: undefined,
  hardTimeout: undefined,
  jitter: 0,
  tags: [],
  schema: undefined,
  lease: false,
  leaseTtl: 5_000,
  leaseWait: 5_000,
};

/** Merges `options` over `base`, checking each: a bad one throws `E_INVALID_ARGUMENT` naming it. */
export function resolveEntryOptions(
  base: ResolvedEntryOptions,
  options: CacheEntryOptions<unknown> | undefined,
  scope = 'options',
): ResolvedEntryOptions {
  if (options === undefined) return base;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(scope, 'must be an object', options);
  }
  const opts = options;
  const resolved: ResolvedEntryOptions = { ...base };
  if (opts.ttl !== undefined)
    resolved.ttl = typeof opts.ttl === 'function' ? opts.ttl : positive(opts.ttl, `${scope}.ttl`);
  if (opts.stale !== undefined) resolved.stale = toMilliseconds(opts.stale, `${scope}.stale`);
  if (opts.staleIfError !== undefined)
    resolved.staleIfError = toMilliseconds(opts.staleIfError, `${scope}.staleIfError`);
  if (opts.softTimeout !== undefined) resolved.softTimeout = positive(opts.softTimeout, `${scope}.softTimeout`);
  if (opts.hardTimeout !== undefined) resolved.hardTimeout = positive(opts.hardTimeout, `${scope}.hardTimeout`);
  if (opts.jitter !== undefined) {
    if (typeof opts.jitter !== 'number' || !(opts.jitter >= 0 && opts.jitter <= 1)) {
      throw new InvalidArgumentError(`${scope}.jitter`, 'must be a number from 0 to 1', opts.jitter);
    }
    resolved.jitter = opts.jitter;
  }
  if (opts.tags !== undefined) {
    if (!Array.isArray(opts.tags) || !opts.tags.every((tag) => typeof tag === 'string' && tag.length > 0)) {
      throw new InvalidArgumentError(`${scope}.tags`, 'must be an array of non-empty strings', opts.tags);
    }
    resolved.tags = opts.tags;
  }
  if (opts.schema !== undefined) {
    const schema: unknown = opts.schema;
    if (typeof schema !== 'object' || schema === null || !('safeParse' in schema || 'parse' in schema)) {
      throw new InvalidArgumentError(`${scope}.schema`, 'must have a safeParse() or parse() method', schema);
    }
    resolved.schema = opts.schema;
  }
  if (opts.lease !== undefined) resolved.lease = opts.lease === true;
  if (opts.leaseTtl !== undefined) {
    resolved.leaseTtl = positive(opts.leaseTtl, `${scope}.leaseTtl`);
    if (opts.leaseWait === undefined) resolved.leaseWait = resolved.leaseTtl;
  }
  if (opts.leaseWait !== undefined) resolved.leaseWait = toMilliseconds(opts.leaseWait, `${scope}.leaseWait`);
  return resolved;
}

/** The fresh lifetime of a value about to be stored, jitter applied. */
export function ttlFor(options: ResolvedEntryOptions, value: unknown, random: () => number = Math.random): number {
  const ttl =
    typeof options.ttl === 'function'
      ? positive(options.ttl(value), 'ttl (returned by the ttl function)')
      : options.ttl;
  if (options.jitter === 0) return ttl;
  return Math.max(1, Math.round(ttl * (1 - random() * options.jitter)));
}

function positive(value: unknown, argument: string): number {
  const ms = toMilliseconds(value, argument);
  if (ms <= 0) throw new InvalidArgumentError(argument, 'must be more than 0 ms', value);
  return ms;
}

/** Keys are non-empty strings; anything else throws `E_INVALID_ARGUMENT` naming `argument`. */
export function assertKey(key: unknown, argument = 'key'): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidArgumentError(argument, 'must be a non-empty string', key);
  }
}

/** Runs a schema over a value: the parsed value, or `undefined` with `ok: false` when it fails. */
export function validate(schema: CacheSchema<unknown>, value: unknown): { ok: true; value: unknown } | { ok: false } {
  if ('safeParse' in schema) {
    const result = schema.safeParse(value);
    return result.success ? { ok: true, value: result.data } : { ok: false };
  }
  try {
    return { ok: true, value: schema.parse(value) };
  } catch {
    return { ok: false };
  }
}

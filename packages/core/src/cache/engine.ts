import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { InvalidArgumentError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CircuitBreaker, CircuitState } from './breaker.js';
import type { InvalidationBus } from './bus.js';
import type { L1Entry, L1Tier } from './l1.js';
import { ttlFor, validate, type Loader, type ResolvedEntryOptions } from './options.js';
import { callLoader, errorText, raceTimeout, sleep, SOFT_TIMEOUT } from './loader-run.js';
import { decodeEntry, encodeEntry, readTimes, withTimes, type EntryTimes } from './serializer.js';
import type { CacheCounters } from './stats.js';
import type { CacheStore } from './store.js';

export interface CacheEvents {
  /** The L2 circuit breaker changed state. */
  circuit: [state: CircuitState, previous: CircuitState];
}

export interface EngineParts {
  l1: L1Tier | undefined;
  l2: CacheStore | undefined;
  breaker: CircuitBreaker;
  counters: CacheCounters;
  logger: Logger;
  compressAbove: number;
  events: EventEmitter<CacheEvents>;
}

/** How a read was answered; every caller that shared one flight counts the same outcome. */
type Outcome = 'l2' | 'stale' | 'load';
interface Answer {
  value: unknown;
  outcome: Outcome;
}
interface Candidate extends EntryTimes {
  value: unknown;
}
/** An entry read from L2: decoded, and checked against the schema when there is one. */
interface ReadEntry extends Candidate {
  size: number;
}

/** Returned by an L2 call the cache failed open on (breaker open, Redis error or timeout). */
const FAILED: unique symbol = Symbol('l2 failed');
const FAILED_PROMISE: Promise<typeof FAILED> = Promise.resolve(FAILED);

/**
 * The tiers and the read, load and write flows, shared by a cache and its namespaces (which only add a
 * key prefix and defaults). Keys here are full keys, namespace included.
 */
export class CacheEngine {
  bus: InvalidationBus | undefined;
  private readonly parts: EngineParts;
  private readonly l1: L1Tier | undefined;
  private readonly l2: CacheStore | undefined;
  private readonly counters: CacheCounters;
  /** One read-or-load per key at a time in this process (single-flight). */
  private readonly flights = new Map<string, Promise<Answer>>();
  /** Loader runs, kept past their callers when a soft timeout answered stale or a refresh runs. */
  private readonly loads = new Map<string, Promise<unknown>>();

  constructor(parts: EngineParts) {
    this.parts = parts;
    this.l1 = parts.l1;
    this.l2 = parts.l2;
    this.counters = parts.counters;
  }

  async getOrSet(
    key: string,
    userKey: string,
    loader: Loader<unknown>,
    options: ResolvedEntryOptions,
  ): Promise<unknown> {
    const started = performance.now();
    const cached = this.l1?.get(key);
    if (cached !== undefined) {
      const now = Date.now();
      if (now < cached.freshUntil) {
        this.counters.l1Hits++;
        this.counters.reads.record(performance.now() - started);
        return cached.value;
      }
      if (now < cached.staleUntil) {
        this.counters.staleHits++;
        this.refresh(key, userKey, loader, options);
        this.counters.reads.record(performance.now() - started);
        return cached.value;
      }
    }
    let flight = this.flights.get(key);
    let entry: ReadEntry | undefined;
    if (flight === undefined) {
      // A hot L2 hit reads on its own (concurrent GETs are auto-pipelined into one round trip); only a
      // miss enters the per-key flight, so a stampede still runs one lease attempt and one loader.
      entry = await this.readL2(key, options);
      if (entry !== undefined && Date.now() < entry.freshUntil) {
        this.l1?.set(key, { ...entry, tags: [] });
        this.counters.l2Hits++;
        this.counters.reads.record(performance.now() - started);
        return entry.value;
      }
      flight = this.flights.get(key);
    }
    if (flight === undefined) {
      flight = this.resolveMiss(key, userKey, loader, options, cached, entry).finally(() => this.flights.delete(key));
      this.flights.set(key, flight);
    }
    const answer = await flight;
    this.count(answer.outcome);
    this.counters.reads.record(performance.now() - started);
    return answer.value;
  }

  /** A fresh value from L1 or L2, or `undefined`; never loads, never answers stale. */
  async get(key: string, options: ResolvedEntryOptions): Promise<unknown> {
    const started = performance.now();
    const cached = this.l1?.get(key);
    if (cached !== undefined && Date.now() < cached.freshUntil) {
      this.counters.l1Hits++;
      this.counters.reads.record(performance.now() - started);
      return cached.value;
    }
    const entry = await this.readL2(key, options);
    const fresh = entry !== undefined && Date.now() < entry.freshUntil;
    if (fresh) {
      this.l1?.set(key, { ...entry, tags: [] });
      this.counters.l2Hits++;
    } else {
      this.counters.misses++;
    }
    this.counters.reads.record(performance.now() - started);
    return fresh ? entry.value : undefined;
  }

  async has(key: string): Promise<boolean> {
    const cached = this.l1?.get(key);
    if (cached !== undefined && Date.now() < cached.freshUntil) return true;
    const bytes = await this.l2Call((store) => store.get(key));
    if (bytes === FAILED || bytes === undefined) return false;
    const times = readTimes(bytes);
    return times !== undefined && Date.now() < times.freshUntil;
  }

  /**
   * Writes a value to both tiers. Encoding comes first, so a value that cannot be stored throws
   * (naming `argument`) before anything is written.
   */
  async set(key: string, value: unknown, options: ResolvedEntryOptions, argument = 'value'): Promise<void> {
    const now = Date.now();
    const ttl = ttlFor(options, value);
    const times: EntryTimes = {
      freshUntil: now + ttl,
      staleUntil: now + ttl + options.stale,
      errorUntil: now + ttl + Math.max(options.stale, options.staleIfError),
    };
    const encoded = encodeEntry(value, times, this.parts.compressAbove, argument);
    this.l1?.set(key, { ...times, value, size: encoded.size, tags: options.tags });
    const lifetime = times.errorUntil - now;
    await this.l2Call(async (store) => {
      await Promise.all([
        store.set(key, encoded.bytes, lifetime),
        options.tags.length > 0 ? store.tag(key, options.tags, lifetime) : undefined,
      ]);
    });
    this.bus?.publish({ keys: [key] });
  }

  /** Gives an existing entry a new fresh lifetime, keeping its stale windows' lengths. */
  async expire(key: string, ttlMs: number): Promise<boolean> {
    const bytes = await this.l2Call((store) => store.get(key));
    const known = bytes === FAILED || bytes === undefined ? this.l1?.get(key) : readTimes(bytes);
    if (known === undefined || Date.now() >= known.errorUntil) return false;
    const now = Date.now();
    const times: EntryTimes = {
      freshUntil: now + ttlMs,
      staleUntil: now + ttlMs + (known.staleUntil - known.freshUntil),
      errorUntil: now + ttlMs + (known.errorUntil - known.freshUntil),
    };
    const local = this.l1?.get(key);
    if (local !== undefined) this.l1?.set(key, { ...local, ...times });
    if (bytes !== FAILED && bytes !== undefined) {
      await this.l2Call((store) => store.set(key, withTimes(bytes, times), times.errorUntil - now));
    }
    this.bus?.publish({ keys: [key] });
    return true;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.l1?.delete(key);
    await this.l2Call((store) => store.delete(keys));
    this.bus?.publish({ keys: [...keys] });
  }

  async deleteByPrefix(prefix: string): Promise<void> {
    this.l1?.deleteByPrefix(prefix);
    await this.l2Call((store) => store.deleteByPrefix(prefix));
    this.bus?.publish({ prefix });
  }

  async deleteByTags(tags: readonly string[]): Promise<void> {
    this.l1?.deleteByTags(tags);
    const named = await this.l2Call((store) => store.deleteByTags(tags));
    if (named !== FAILED) for (const key of named) this.l1?.delete(key);
    this.bus?.publish({ tags: [...tags] });
    if (named !== FAILED && named.length > 0) this.bus?.publish({ keys: named });
  }

  private async resolveMiss(
    key: string,
    userKey: string,
    loader: Loader<unknown>,
    options: ResolvedEntryOptions,
    cached: L1Entry | undefined,
    alreadyRead: ReadEntry | undefined,
  ): Promise<Answer> {
    let fallback: Candidate | undefined = cached !== undefined && Date.now() < cached.errorUntil ? cached : undefined;
    const entry = alreadyRead ?? (await this.readL2(key, options));
    if (entry !== undefined) {
      const now = Date.now();
      if (now < entry.staleUntil) this.l1?.set(key, { ...entry, tags: [] });
      if (now < entry.freshUntil) return { value: entry.value, outcome: 'l2' };
      if (now < entry.staleUntil) {
        this.refresh(key, userKey, loader, options);
        return { value: entry.value, outcome: 'stale' };
      }
      if (now < entry.errorUntil && (fallback === undefined || entry.freshUntil > fallback.freshUntil))
        fallback = entry;
    }
    if (options.lease && !this.loads.has(key)) {
      const waited = await this.waitForLease(key, options);
      if (waited.value !== undefined) return waited.value;
      return await this.answerFromLoad(key, userKey, loader, options, fallback, waited.token);
    }
    return await this.answerFromLoad(key, userKey, loader, options, fallback, undefined);
  }

  /**
   * Takes the cross-process lease, or waits for the holder's value, polling L2 with a growing pause and
   * trying for the lease each time (the holder may have failed). Fails open: an L2 error means load.
   */
  private async waitForLease(key: string, options: ResolvedEntryOptions): Promise<{ value?: Answer; token?: string }> {
    const token = randomUUID();
    const deadline = Date.now() + options.leaseWait;
    let pause = 5;
    for (;;) {
      const got = await this.l2Call((store) => store.acquireLease(key, token, options.leaseTtl));
      if (got !== false) return got === true ? { token } : {};
      if (Date.now() >= deadline) return {};
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
      pause = Math.min(pause * 2, 100);
      const entry = await this.readL2(key, options);
      if (entry !== undefined && Date.now() < entry.freshUntil) {
        this.l1?.set(key, { ...entry, tags: [] });
        return { value: { value: entry.value, outcome: 'l2' } };
      }
    }
  }

  private async answerFromLoad(
    key: string,
    userKey: string,
    loader: Loader<unknown>,
    options: ResolvedEntryOptions,
    fallback: Candidate | undefined,
    leaseToken: string | undefined,
  ): Promise<Answer> {
    const run = this.loads.get(key) ?? this.startLoad(key, userKey, loader, options, leaseToken);
    try {
      if (fallback !== undefined && options.softTimeout !== undefined) {
        const first = await raceTimeout(run, options.softTimeout);
        if (first === SOFT_TIMEOUT) return { value: fallback.value, outcome: 'stale' };
        return { value: first, outcome: 'load' };
      }
      return { value: await run, outcome: 'load' };
    } catch (error) {
      // A value that cannot be stored is the caller's bug, never hidden behind a stale answer.
      if (fallback === undefined || error instanceof InvalidArgumentError) throw error;
      this.parts.logger.warn({ key: userKey, err: errorText(error) }, 'cache loader failed; answering stale');
      return { value: fallback.value, outcome: 'stale' };
    }
  }

  /** Starts one loader run for `key` and stores its value; it outlives callers that stopped waiting. */
  private startLoad(
    key: string,
    userKey: string,
    loader: Loader<unknown>,
    options: ResolvedEntryOptions,
    leaseToken: string | undefined,
  ): Promise<unknown> {
    this.counters.loads++;
    const started = performance.now();
    const raced = callLoader(loader, userKey, options.hardTimeout);
    const run = raced
      .then(
        async (value) => {
          this.counters.loadTimes.record(performance.now() - started);
          await this.set(key, value, options, 'value (returned by the loader)');
          return value;
        },
        (error: unknown) => {
          this.counters.loaderErrors++;
          this.counters.loadTimes.record(performance.now() - started);
          throw error;
        },
      )
      .finally(() => {
        this.loads.delete(key);
        if (leaseToken !== undefined) void this.l2Call((store) => store.releaseLease(key, leaseToken));
      });
    run.catch(() => undefined);
    this.loads.set(key, run);
    return run;
  }

  /** One background refresh per key; with a lease, only the process that gets it refreshes. */
  private refresh(key: string, userKey: string, loader: Loader<unknown>, options: ResolvedEntryOptions): void {
    if (this.loads.has(key)) return;
    const start = async (): Promise<void> => {
      let token: string | undefined;
      if (options.lease) {
        token = randomUUID();
        const got = await this.l2Call((store) => store.acquireLease(key, token!, options.leaseTtl));
        if (got === false) return;
        if (got === FAILED) token = undefined;
      }
      if (this.loads.has(key)) return;
      await this.startLoad(key, userKey, loader, options, token);
    };
    start().catch((error: unknown) =>
      this.parts.logger.warn({ key: userKey, err: errorText(error) }, 'cache refresh failed'),
    );
  }

  private async readL2(
    key: string,
    options: ResolvedEntryOptions,
  ): Promise<(EntryTimes & { value: unknown; size: number }) | undefined> {
    const bytes = await this.l2Call((store) => store.get(key));
    if (bytes === FAILED || bytes === undefined) return undefined;
    let entry;
    try {
      entry = decodeEntry(bytes);
    } catch (error) {
      this.parts.logger.warn({ err: errorText(error) }, 'cache entry could not be decoded; treated as a miss');
      return undefined;
    }
    if (options.schema !== undefined) {
      const checked = validate(options.schema, entry.value);
      if (!checked.ok) return undefined;
      entry.value = checked.value;
    }
    return entry;
  }

  /**
   * Runs an L2 call through the breaker; fails open to `FAILED`, never rejects. A plain promise chain
   * rather than async/await: it sits on every L2 hit.
   */
  private l2Call<T>(call: (store: CacheStore) => Promise<T>): Promise<T | typeof FAILED> {
    const store = this.l2;
    if (store === undefined || !this.parts.breaker.allow()) return FAILED_PROMISE;
    let pending: Promise<T>;
    try {
      pending = call(store);
    } catch (error) {
      return Promise.resolve(this.l2Failed(error));
    }
    return pending.then<T | typeof FAILED, typeof FAILED>(this.l2Succeeded, this.l2Failed);
  }

  private readonly l2Succeeded = <T>(result: T): T => {
    this.parts.breaker.success();
    return result;
  };

  private readonly l2Failed = (error: unknown): typeof FAILED => {
    this.counters.redisErrors++;
    this.parts.breaker.failure();
    this.parts.logger.debug({ err: errorText(error) }, 'cache L2 call failed; failing open');
    return FAILED;
  };

  private count(outcome: Outcome): void {
    if (outcome === 'l2') this.counters.l2Hits++;
    else if (outcome === 'stale') this.counters.staleHits++;
    else this.counters.misses++;
  }
}

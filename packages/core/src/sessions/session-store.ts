import { BackplaneError, InvalidArgumentError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { toMilliseconds } from '../util/duration.js';
import type { SessionBackend, SessionLimits, StoredSession } from './backend.js';
import {
  assertUserId,
  encodeData,
  encodePatch,
  fieldBytes,
  isSessionId,
  newSessionId,
  regeneratedSessionId,
  tooLarge,
} from './codec.js';
import { FallbackSessionBackend } from './fallback-backend.js';
import { MemorySessionBackend } from './memory-backend.js';
import { sessionMetrics, type SessionMetrics } from './metrics.js';
import { RedisSessionBackend } from './redis-backend.js';
import type {
  CreateSessionOptions,
  RegenerateSessionOptions,
  Session,
  SessionData,
  SessionPatch,
  SessionStats,
  SessionStore,
  SessionStoreOptions,
  SessionWriteResult,
} from './types.js';

/** A fresh id colliding with a live one is a 2^-192 event; a few retries make it a non-event. */
const ID_ATTEMPTS = 3;

/**
 * Builds a session store: on Redis when `connection` is given (with the `onRedisDown` policy), in
 * process memory otherwise.
 * @example
 * const sessions = createSessionStore({ connection, idleTimeout: '30m', absoluteLifetime: '12h' });
 * const { id } = await sessions.create({ cart: [] }, { userId: 'u1' });
 */
export function createSessionStore<T extends SessionData = SessionData>(
  options: SessionStoreOptions = {},
): SessionStore<T> {
  const limits = resolveLimits(options);
  const logger = (options.logger ?? silentLogger()).child({ component: 'sessions' });
  const keyPrefix = options.keyPrefix ?? 'bp';
  if (typeof keyPrefix !== 'string' || keyPrefix.length === 0) {
    throw new InvalidArgumentError('keyPrefix', 'must be a non-empty string', keyPrefix);
  }
  const policy = options.onRedisDown ?? 'fail-closed';
  if (policy !== 'fail-closed' && policy !== 'memory-fallback') {
    throw new InvalidArgumentError('onRedisDown', "must be 'fail-closed' or 'memory-fallback'", policy);
  }
  const activeCountMs = toMilliseconds(options.activeCountInterval ?? '15s', 'activeCountInterval');
  let backend: SessionBackend;
  if (!options.connection) {
    backend = new MemorySessionBackend(limits);
  } else {
    const redis = new RedisSessionBackend(options.connection, keyPrefix, limits);
    backend =
      policy === 'memory-fallback' ? new FallbackSessionBackend(redis, options.connection, limits, logger) : redis;
  }
  return new BackplaneSessionStore<T>(backend, limits, { metrics: options.metrics, activeCountMs });
}

function resolveLimits(options: SessionStoreOptions): SessionLimits {
  const idleMs = toMilliseconds(options.idleTimeout ?? '30m', 'idleTimeout');
  const absoluteMs = toMilliseconds(options.absoluteLifetime ?? '24h', 'absoluteLifetime');
  if (idleMs < 1) throw new InvalidArgumentError('idleTimeout', 'must be at least 1 ms', options.idleTimeout);
  if (absoluteMs < 1)
    throw new InvalidArgumentError('absoluteLifetime', 'must be at least 1 ms', options.absoluteLifetime);
  const maxBytes = options.maxBytes ?? 65_536;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new InvalidArgumentError('maxBytes', 'must be a positive integer', maxBytes);
  }
  return { idleMs, absoluteMs, maxBytes };
}

interface StoreInternals {
  metrics: SessionStoreOptions['metrics'];
  activeCountMs: number;
}

class BackplaneSessionStore<T extends SessionData> implements SessionStore<T> {
  readonly kind: 'memory' | 'redis';
  private readonly backend: SessionBackend;
  private readonly limits: SessionLimits;
  private readonly metrics: SessionMetrics;
  private readonly activeCountMs: number;
  private readonly counters = { creates: 0, destroys: 0, touches: 0, updates: 0, regenerates: 0 };
  private activeCount: { value: number; at: number } | undefined;
  private counting: Promise<number | null> | undefined;
  private closed = false;

  constructor(backend: SessionBackend, limits: SessionLimits, internals: StoreInternals) {
    this.backend = backend;
    this.kind = backend.kind;
    this.limits = limits;
    this.activeCountMs = internals.activeCountMs;
    this.metrics = sessionMetrics(internals.metrics, {
      active: () => this.active(),
      fallbackActive: () => this.fallbackActive(),
    });
  }

  async create(data: T, options: CreateSessionOptions = {}): Promise<Session<T>> {
    const userId = this.optionalUser(options.userId);
    const fields = encodeData(data, this.limits.maxBytes);
    for (let attempt = 1; attempt <= ID_ATTEMPTS; attempt += 1) {
      const outcome = await this.backend.write(newSessionId(), fields, {
        mode: 'create',
        userId,
        bytes: fieldBytes(fields),
      });
      if (outcome.status === 'ok') {
        this.bump('creates');
        return this.toSession(outcome.session);
      }
    }
    throw new BackplaneError('E_INTERNAL', `no free session id after ${ID_ATTEMPTS} attempts`);
  }

  async get(id: string): Promise<Session<T> | undefined> {
    if (!isSessionId(id)) return undefined;
    const stored = await this.backend.read(id);
    return stored && this.toSession(stored);
  }

  async set(id: string, data: T, options: CreateSessionOptions = {}): Promise<Session<T>> {
    if (!isSessionId(id)) throw new InvalidArgumentError('id', 'must be 16 to 256 base64url characters', id);
    const userId = this.optionalUser(options.userId);
    const fields = encodeData(data, this.limits.maxBytes);
    const outcome = await this.backend.write(id, fields, { mode: 'replace', userId, bytes: fieldBytes(fields) });
    if (outcome.status !== 'ok') throw new BackplaneError('E_INTERNAL', `session write ended ${outcome.status}`);
    if (outcome.session.version === 1) this.bump('creates');
    return this.toSession(outcome.session);
  }

  update(id: string, patch: SessionPatch<T>): Promise<SessionWriteResult | undefined> {
    return this.patch(id, patch, undefined);
  }

  async updateIf(id: string, expectedVersion: number, patch: SessionPatch<T>): Promise<SessionWriteResult | undefined> {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 1) {
      throw new InvalidArgumentError('expectedVersion', 'must be a positive integer', expectedVersion);
    }
    return this.patch(id, patch, expectedVersion);
  }

  async touch(id: string): Promise<number | undefined> {
    if (!isSessionId(id)) return undefined;
    const expiresAt = await this.backend.touch(id);
    if (expiresAt !== undefined) this.bump('touches');
    return expiresAt;
  }

  async destroy(id: string): Promise<boolean> {
    if (!isSessionId(id)) return false;
    const removed = await this.backend.destroy(id);
    if (removed) this.bump('destroys');
    return removed;
  }

  async regenerate(id: string, options: RegenerateSessionOptions = {}): Promise<Session<T> | undefined> {
    if (!isSessionId(id)) return undefined;
    const user = options.userId;
    if (user !== undefined && user !== null) assertUserId(user, 'options.userId');
    for (let attempt = 1; attempt <= ID_ATTEMPTS; attempt += 1) {
      const outcome = await this.backend.regenerate(id, regeneratedSessionId(id), user);
      if (outcome.status === 'missing') return undefined;
      if (outcome.status === 'ok') {
        this.bump('regenerates');
        return this.toSession(outcome.session);
      }
    }
    throw new BackplaneError('E_INTERNAL', `no free session id after ${ID_ATTEMPTS} attempts`);
  }

  async listByUser(userId: string): Promise<Array<Session<T>>> {
    assertUserId(userId, 'userId');
    const stored = await this.backend.listByUser(userId);
    return stored.map((session) => this.toSession(session));
  }

  async destroyAllForUser(userId: string): Promise<number> {
    assertUserId(userId, 'userId');
    const removed = await this.backend.destroyAllForUser(userId);
    if (removed > 0) this.bump('destroys', removed);
    return removed;
  }

  async all(): Promise<Array<Session<T>>> {
    return (await this.backend.all()).map((session) => this.toSession(session));
  }

  count(): Promise<number> {
    return this.backend.count();
  }

  private bump(counter: keyof BackplaneSessionStore<T>['counters'], by = 1): void {
    this.counters[counter] += by;
    if (counter === 'creates') this.metrics.created();
    else if (counter === 'destroys') this.metrics.destroyed(by);
    else if (counter === 'touches') this.metrics.touched();
    else if (counter === 'updates') this.metrics.updated();
    else this.metrics.regenerated();
  }

  async clear(): Promise<number> {
    const removed = await this.backend.clear();
    this.activeCount = undefined;
    return removed;
  }

  async stats(): Promise<SessionStats> {
    return { backend: this.kind, fallbackActive: this.fallbackActive(), active: await this.active(), ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.metrics.unregister();
    await this.backend.close();
  }

  private async patch(
    id: string,
    patch: SessionPatch<T>,
    expectedVersion: number | undefined,
  ): Promise<SessionWriteResult | undefined> {
    if (!isSessionId(id)) return undefined;
    const { set, remove } = encodePatch(patch);
    const bytes = fieldBytes(set);
    if (bytes > this.limits.maxBytes) throw tooLarge(bytes, this.limits.maxBytes);
    const outcome = await this.backend.patch(id, set, remove, expectedVersion);
    switch (outcome.status) {
      case 'missing':
        return undefined;
      case 'conflict':
        throw new BackplaneError(
          'E_SESSION_CONFLICT',
          `session is at version ${outcome.version}, not the expected ${expectedVersion}`,
          { details: { version: outcome.version, expectedVersion } },
        );
      case 'too-large':
        throw tooLarge(outcome.bytes, this.limits.maxBytes);
      case 'ok':
        this.bump('updates');
        return { version: outcome.version, expiresAt: outcome.expiresAt };
    }
  }

  /** Counted live sessions, reused for `activeCountMs`; `null` when they cannot be counted now. */
  private active(): Promise<number | null> {
    if (this.closed) return Promise.resolve(null);
    const cached = this.activeCount;
    if (this.kind === 'redis' && cached && Date.now() - cached.at < this.activeCountMs) {
      return Promise.resolve(cached.value);
    }
    this.counting ??= this.backend
      .count()
      .then((value) => {
        this.activeCount = { value, at: Date.now() };
        return value;
      })
      .catch(() => null)
      .finally(() => {
        this.counting = undefined;
      });
    return this.counting;
  }

  private fallbackActive(): boolean {
    return this.backend instanceof FallbackSessionBackend && this.backend.fallbackActive;
  }

  private optionalUser(userId: unknown): string | undefined {
    if (userId === undefined) return undefined;
    assertUserId(userId, 'options.userId');
    return userId;
  }

  private toSession(stored: StoredSession): Session<T> {
    return {
      id: stored.id,
      data: stored.data as T,
      userId: stored.userId,
      version: stored.version,
      createdAt: stored.createdAt,
      expiresAt: stored.expiresAt,
      absoluteExpiresAt: stored.absoluteExpiresAt,
    };
  }
}

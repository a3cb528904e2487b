import { isBackplaneError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from '../redis/connection.js';
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
import { encodePatch, fieldBytes, type EncodedFields } from './codec.js';
import { MemorySessionBackend } from './memory-backend.js';

/**
 * The memory-fallback policy: Redis while it answers, this process's memory while it does not.
 * - Sessions written during the outage live in memory; the first read after Redis is back hands each one
 *   back to Redis (same id, times and version).
 * - Sessions that were in Redis are "no session" during the outage (users of them appear logged out).
 * - Destroys during the outage are remembered (per id and per user) and replayed once Redis answers, so
 *   a logout is not undone by Redis coming back. All of this is per process: see docs/sessions.md.
 */
export class FallbackSessionBackend implements SessionBackend {
  readonly kind = 'redis' as const;
  private readonly primary: SessionBackend;
  private readonly memory: MemorySessionBackend;
  private readonly connection: RedisConnection;
  private readonly logger: Logger;
  /** Ids destroyed during the outage, until when they could still be alive in Redis. */
  private readonly destroyedIds = new Map<string, number>();
  /** Users logged out everywhere during the outage, and when. */
  private readonly destroyedUsers = new Map<string, number>();
  private readonly absoluteMs: number;
  private serving: 'redis' | 'memory' = 'redis';

  constructor(primary: SessionBackend, connection: RedisConnection, limits: SessionLimits, logger: Logger) {
    this.primary = primary;
    this.connection = connection;
    this.logger = logger;
    this.absoluteMs = limits.absoluteMs;
    this.memory = new MemorySessionBackend(limits);
  }

  get fallbackActive(): boolean {
    return this.serving === 'memory';
  }

  async write(id: string, fields: EncodedFields, options: WriteOptions): Promise<WriteOutcome> {
    if (await this.memory.read(id)) return this.memory.write(id, fields, options);
    return this.either(
      () => this.primary.write(id, fields, options),
      () => this.memory.write(id, fields, options),
    );
  }

  async read(id: string): Promise<StoredSession | undefined> {
    if (this.destroyedIds.has(id)) return undefined;
    const local = await this.memory.read(id);
    if (local) {
      if (this.connection.availability !== 'down') await this.handBack(local);
      return local;
    }
    const session = await this.either(
      () => this.primary.read(id),
      async () => undefined,
    );
    if (session?.userId !== undefined && session.createdAt <= (this.destroyedUsers.get(session.userId) ?? -1)) {
      return undefined;
    }
    return session;
  }

  async patch(id: string, set: EncodedFields, remove: string[], expected: number | undefined): Promise<PatchOutcome> {
    if (await this.memory.read(id)) return this.memory.patch(id, set, remove, expected);
    return this.either(
      () => this.primary.patch(id, set, remove, expected),
      async () => ({ status: 'missing' }),
    );
  }

  async touch(id: string): Promise<number | undefined> {
    if (await this.memory.read(id)) return this.memory.touch(id);
    return this.either(
      () => this.primary.touch(id),
      async () => undefined,
    );
  }

  async destroy(id: string, onlyUserId?: string): Promise<boolean> {
    const local = await this.memory.destroy(id, onlyUserId);
    const remote = await this.either(
      () => this.primary.destroy(id, onlyUserId),
      async () => {
        this.destroyedIds.set(id, Date.now() + this.absoluteMs);
        return false;
      },
    );
    return local || remote;
  }

  async regenerate(oldId: string, newId: string, user: UserChange): Promise<RegenerateOutcome> {
    if (await this.memory.read(oldId)) return this.memory.regenerate(oldId, newId, user);
    return this.either(
      () => this.primary.regenerate(oldId, newId, user),
      async () => ({ status: 'missing' }),
    );
  }

  async listByUser(userId: string): Promise<StoredSession[]> {
    const local = await this.memory.listByUser(userId);
    const remote = await this.either(
      () => this.primary.listByUser(userId),
      async () => [],
    );
    return [...local, ...remote];
  }

  async destroyAllForUser(userId: string): Promise<number> {
    const local = await this.memory.destroyAllForUser(userId);
    const remote = await this.either(
      () => this.primary.destroyAllForUser(userId),
      async () => {
        this.destroyedUsers.set(userId, Date.now());
        return 0;
      },
    );
    return local + remote;
  }

  async all(): Promise<StoredSession[]> {
    const local = await this.memory.all();
    return [
      ...local,
      ...(await this.either(
        () => this.primary.all(),
        async () => [],
      )),
    ];
  }

  async count(): Promise<number> {
    const local = await this.memory.count();
    return (
      local +
      (await this.either(
        () => this.primary.count(),
        async () => 0,
      ))
    );
  }

  async clear(): Promise<number> {
    const local = await this.memory.clear();
    return local + (await this.primary.clear());
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.memory.close(), this.primary.close()]);
  }

  /** Runs on Redis unless it is known down or fails as unavailable; then on memory. */
  private async either<T>(onRedis: () => Promise<T>, onMemory: () => Promise<T>): Promise<T> {
    if (this.connection.availability !== 'down') {
      try {
        const result = await onRedis();
        if (this.serving === 'memory') this.recovered();
        return result;
      } catch (error) {
        if (!isBackplaneError(error) || error.code !== 'E_REDIS_UNAVAILABLE') throw error;
      }
    }
    if (this.serving === 'redis') {
      this.serving = 'memory';
      this.logger.warn('redis is down: sessions are served from process memory until it returns');
    }
    return onMemory();
  }

  private recovered(): void {
    this.serving = 'redis';
    this.logger.info('redis is back: sessions are served from redis again');
    void this.replayDestroys().catch((error: unknown) => {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'replaying destroys failed');
    });
  }

  /** Applies the outage's destroys to Redis; what fails stays queued for the next recovery. */
  private async replayDestroys(): Promise<void> {
    const now = Date.now();
    for (const [id, until] of [...this.destroyedIds]) {
      if (until > now) await this.primary.destroy(id);
      this.destroyedIds.delete(id);
    }
    for (const [userId] of [...this.destroyedUsers]) {
      await this.primary.destroyAllForUser(userId);
      this.destroyedUsers.delete(userId);
    }
  }

  /** Moves a session written during the outage back to Redis, then forgets the memory copy. */
  private async handBack(session: StoredSession): Promise<void> {
    try {
      const fields = encodePatch(session.data).set;
      const outcome = await this.primary.write(session.id, fields, {
        mode: 'replace',
        userId: session.userId,
        bytes: fieldBytes(fields),
        restore: {
          createdAt: session.createdAt,
          absoluteExpiresAt: session.absoluteExpiresAt,
          version: session.version,
        },
      });
      if (outcome.status !== 'exists') await this.memory.destroy(session.id);
    } catch {
      // Still down after all: the memory copy keeps serving.
    }
  }
}

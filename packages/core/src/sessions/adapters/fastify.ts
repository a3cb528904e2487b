import type { SessionStore as FastifySessionStoreContract } from '@fastify/session';
import type { Session as FastifySession } from 'fastify';
import type { SessionStore } from '../types.js';
import { defaultUserIdOf, plainData, type UserIdOf } from './user-id.js';

export interface FastifySessionStoreOptions {
  /** The backplane store that keeps the sessions (Redis or memory, with its lifetimes and limits). */
  store: SessionStore;
  /**
   * Which user a session belongs to, read on every save, for `listByUser` / `destroyAllForUser`.
   * @default (data) => data.userId when it is a non-empty string
   */
  userIdOf?: UserIdOf;
}

type Callback = (error?: unknown) => void;

/**
 * A @fastify/session store over a backplane `SessionStore`. Idle and absolute lifetimes are the
 * backplane store's, enforced server-side. A store error fails the request with the error's status
 * (503 for `E_REDIS_UNAVAILABLE`, 413 for `E_SESSION_TOO_LARGE`).
 * @example
 * await app.register(fastifyCookie);
 * await app.register(fastifySession, { secret, store: new FastifySessionStore({ store: sessions }),
 *   cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto' } });
 */
export class FastifySessionStore implements FastifySessionStoreContract {
  readonly sessions: SessionStore;
  private readonly userIdOf: UserIdOf;

  constructor(options: FastifySessionStoreOptions) {
    this.sessions = options.store;
    this.userIdOf = options.userIdOf ?? defaultUserIdOf;
  }

  set(sessionId: string, session: FastifySession, callback: Callback): void {
    (async () => {
      // Each top-level value is stored as JSON, so @fastify/session's Cookie goes through its toJSON.
      const data = plainData(session);
      await this.sessions.set(sessionId, data, { userId: this.userIdOf(data) });
    })().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  get(sessionId: string, callback: (error: unknown, session?: FastifySession | null) => void): void {
    this.sessions.get(sessionId).then(
      (found) => callback(null, found ? (found.data as unknown as FastifySession) : null),
      (error: unknown) => callback(error),
    );
  }

  destroy(sessionId: string, callback: Callback): void {
    this.sessions.destroy(sessionId).then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }
}

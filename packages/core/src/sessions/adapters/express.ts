import session from 'express-session';
import type { SessionStore } from '../types.js';
import { defaultUserIdOf, plainData, type UserIdOf } from './user-id.js';

export interface ExpressSessionStoreOptions {
  /** The backplane store that keeps the sessions (Redis or memory, with its lifetimes and limits). */
  store: SessionStore;
  /**
   * Which user a session belongs to, read on every save, for `listByUser` / `destroyAllForUser`.
   * @default (data) => data.userId when it is a non-empty string
   */
  userIdOf?: UserIdOf;
}

type SessionRecord = session.SessionData;
type Callback = (error?: unknown) => void;

/**
 * An express-session `Store` over a backplane `SessionStore`. Idle and absolute lifetimes are the
 * backplane store's, enforced server-side whatever the cookie says. Errors (`E_REDIS_UNAVAILABLE` with
 * status 503, `E_SESSION_TOO_LARGE` with 413) reach Express's error handling through `next(err)`.
 * @example
 * app.use(session({ store: new ExpressSessionStore({ store: sessions }), secret, resave: false,
 *   saveUninitialized: false, cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto' } }));
 */
export class ExpressSessionStore extends session.Store {
  readonly sessions: SessionStore;
  private readonly userIdOf: UserIdOf;

  constructor(options: ExpressSessionStoreOptions) {
    super();
    this.sessions = options.store;
    this.userIdOf = options.userIdOf ?? defaultUserIdOf;
  }

  override get(sid: string, callback: (error: unknown, session?: SessionRecord | null) => void): void {
    this.sessions.get(sid).then(
      (found) => callback(null, found ? (found.data as unknown as SessionRecord) : null),
      (error: unknown) => callback(error),
    );
  }

  override set(sid: string, record: SessionRecord, callback?: Callback): void {
    settle(
      (async () => {
        const data = plainData(record);
        await this.sessions.set(sid, data, { userId: this.userIdOf(data) });
      })(),
      callback,
    );
  }

  override destroy(sid: string, callback?: Callback): void {
    settle(this.sessions.destroy(sid), callback);
  }

  override touch(sid: string, _record: SessionRecord, callback?: () => void): void {
    // express-session's touch callback takes no error: a failed bump only shortens the session.
    this.sessions.touch(sid).then(
      () => callback?.(),
      () => callback?.(),
    );
  }

  override all(callback: (error: unknown, sessions?: { [sid: string]: SessionRecord } | null) => void): void {
    this.sessions.all().then(
      (found) => callback(null, Object.fromEntries(found.map((s) => [s.id, s.data as unknown as SessionRecord]))),
      (error: unknown) => callback(error),
    );
  }

  override length(callback: (error: unknown, length?: number) => void): void {
    this.sessions.count().then(
      (count) => callback(null, count),
      (error: unknown) => callback(error),
    );
  }

  override clear(callback?: Callback): void {
    settle(this.sessions.clear(), callback);
  }
}

function settle(promise: Promise<unknown>, callback: Callback | undefined): void {
  promise.then(
    () => callback?.(),
    (error: unknown) => callback?.(error),
  );
}

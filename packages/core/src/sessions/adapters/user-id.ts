import type { SessionData } from '../types.js';

/** Picks the user a framework session belongs to, so logout-everywhere can find it. */
export type UserIdOf = (data: SessionData) => string | undefined;

/** The default: a non-empty string `userId` at the top level of the session. */
export const defaultUserIdOf: UserIdOf = (data) =>
  typeof data.userId === 'string' && data.userId.length > 0 ? data.userId : undefined;

/** Own enumerable keys only: framework session objects keep their plumbing in symbols or hidden keys. */
export function plainData(session: object): SessionData {
  return Object.fromEntries(Object.entries(session));
}

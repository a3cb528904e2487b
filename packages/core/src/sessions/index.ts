export { createSessionStore } from './session-store.js';
export { SESSIONS_ERROR_CODES } from './error-codes.js';
export type {
  CreateSessionOptions,
  RedisDownPolicy,
  RegenerateSessionOptions,
  Session,
  SessionData,
  SessionPatch,
  SessionStats,
  SessionStore,
  SessionStoreOptions,
  SessionWriteResult,
} from './types.js';

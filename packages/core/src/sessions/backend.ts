import type { SessionData } from './types.js';
import type { EncodedFields } from './codec.js';

/**
 * The storage seam under `SessionStore`: ids are valid and data is already encoded (field name and JSON
 * text per top-level key) by the time a backend sees them. One Redis and one memory implementation.
 */
export interface StoredSession {
  id: string;
  data: SessionData;
  userId: string | undefined;
  version: number;
  createdAt: number;
  expiresAt: number;
  absoluteExpiresAt: number;
}

export interface WriteOptions {
  /** `create` refuses an existing id; `replace` overwrites data (keeping createdAt) or creates. */
  mode: 'create' | 'replace';
  userId: string | undefined;
  bytes: number;
  /** Restores a session whole (memory-fallback hand-back): its times and version instead of fresh ones. */
  restore?: { createdAt: number; absoluteExpiresAt: number; version: number };
}

export type WriteOutcome =
  | { status: 'ok'; session: StoredSession; previousUserId: string | undefined }
  | { status: 'exists' }
  /** A restored session already past its absolute lifetime: nothing written. */
  | { status: 'expired' };

export type PatchOutcome =
  | { status: 'ok'; version: number; expiresAt: number }
  | { status: 'missing' }
  | { status: 'conflict'; version: number }
  | { status: 'too-large'; bytes: number };

export type RegenerateOutcome =
  | { status: 'ok'; session: StoredSession; previousUserId: string | undefined }
  | { status: 'missing' }
  | { status: 'exists' };

/** `undefined` keeps the user, `null` removes it, a string sets it. */
export type UserChange = string | null | undefined;

export interface SessionBackend {
  readonly kind: 'memory' | 'redis';
  write(id: string, fields: EncodedFields, options: WriteOptions): Promise<WriteOutcome>;
  read(id: string): Promise<StoredSession | undefined>;
  patch(id: string, set: EncodedFields, remove: string[], expectedVersion: number | undefined): Promise<PatchOutcome>;
  touch(id: string): Promise<number | undefined>;
  /** Removes the session; with `onlyUserId`, only when it still belongs to that user. */
  destroy(id: string, onlyUserId?: string): Promise<boolean>;
  regenerate(oldId: string, newId: string, user: UserChange): Promise<RegenerateOutcome>;
  listByUser(userId: string): Promise<StoredSession[]>;
  destroyAllForUser(userId: string): Promise<number>;
  all(): Promise<StoredSession[]>;
  count(): Promise<number>;
  clear(): Promise<number>;
  close(): Promise<void>;
}

/** Lifetimes and limits every backend enforces, resolved from the options. */
export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
  maxBytes: number;
}

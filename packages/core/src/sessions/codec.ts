import { randomBytes } from 'node:crypto';
import { BackplaneError, InvalidArgumentError, describeValue } from '../errors.js';

/** Characters an id may hold: base64url, as generated here, by express-session and by @fastify/session. */
const ID_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;
/**
 * An id's first characters are its Redis Cluster hash tag. `regenerate` keeps them, so the old and the new
 * key share a slot and the move is one atomic script; the rest of the new id is fresh randomness.
 */
export const ID_TAG_LENGTH = 6;

/**
 * The stored field of a top-level data key is the key as a JSON string (it starts with `"`; metadata fields
 * start with `_`), so the Redis read script can build the session's JSON by concatenation alone.
 */
export function dataField(key: string): string {
  return JSON.stringify(key);
}

export function isDataField(field: string): boolean {
  return field.startsWith('"');
}

/** How a user id is stored (`_u`): a JSON string, for the same reason. */
export function encodeUserId(userId: string): string {
  return JSON.stringify(userId);
}

export function decodeUserId(stored: string | undefined | null): string | undefined {
  if (stored === undefined || stored === null || stored === '') return undefined;
  try {
    const userId = JSON.parse(stored) as unknown;
    return typeof userId === 'string' ? userId : undefined;
  } catch {
    return undefined;
  }
}

/** A new id: 24 random bytes (192 bits) as 32 base64url characters. */
export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** A new id in the same slot as `oldId`: its tag, then 26 fresh characters (156 random bits). */
export function regeneratedSessionId(oldId: string): string {
  return oldId.slice(0, ID_TAG_LENGTH) + randomBytes(20).toString('base64url').slice(0, 26);
}

/** Whether `id` could be a session id; anything else is treated as "no session" without touching Redis. */
export function isSessionId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

export function assertUserId(userId: unknown, argument: string): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > 256) {
    throw new InvalidArgumentError(argument, 'must be a non-empty string of at most 256 characters', userId);
  }
}

/** Encoded data: stored field name and JSON text per top-level key. */
export type EncodedFields = Array<[field: string, json: string]>;

export interface EncodedPatch {
  set: EncodedFields;
  remove: string[];
}

/** Bytes a set of fields occupies; the same measure the Lua scripts keep in `_b`. */
export function fieldBytes(fields: EncodedFields): number {
  let bytes = 0;
  for (const [field, json] of fields) bytes += Buffer.byteLength(field) + Buffer.byteLength(json);
  return bytes;
}

/** Encodes a whole session's data, checking it is a plain object of JSON values within `maxBytes`. */
export function encodeData(data: unknown, maxBytes: number): EncodedFields {
  const { set } = encodePatch(data, 'data');
  const bytes = fieldBytes(set);
  if (bytes > maxBytes) throw tooLarge(bytes, maxBytes);
  return set;
}

/** Encodes a patch: `undefined` values become removals. */
export function encodePatch(patch: unknown, argument = 'patch'): EncodedPatch {
  if (!isPlainObject(patch)) {
    throw new BackplaneError(
      'E_SESSION_DATA_INVALID',
      `${argument} must be a plain object (received ${describeValue(patch)})`,
    );
  }
  const set: EncodedFields = [];
  const remove: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const field = dataField(key);
    if (value === undefined) {
      remove.push(field);
      continue;
    }
    set.push([field, toJson(value, `${argument}.${key}`)]);
  }
  return { set, remove };
}

/** Decodes stored fields back into data; a field that does not parse is dropped rather than failing the read. */
export function decodeData(fields: Iterable<[string, string]>): Record<string, unknown> {
  const entries: Array<[string, unknown]> = [];
  for (const [field, json] of fields) {
    if (!isDataField(field)) continue;
    try {
      entries.push([JSON.parse(field) as string, JSON.parse(json) as unknown]);
    } catch {
      // Only something other than backplane could have written this; the rest of the session still counts.
    }
  }
  // fromEntries defines own properties, so a `__proto__` key cannot reach the prototype.
  return Object.fromEntries(entries);
}

export function tooLarge(bytes: number, maxBytes: number): BackplaneError {
  return new BackplaneError(
    'E_SESSION_TOO_LARGE',
    `session data would take ${bytes} bytes, over maxBytes ${maxBytes}`,
    {
      details: { bytes, maxBytes },
    },
  );
}

function toJson(value: unknown, argument: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    // BigInt and circular structures throw; the message says which key.
    throw new BackplaneError(
      'E_SESSION_DATA_INVALID',
      `${argument} cannot be stored as JSON: ${(error as Error).message}`,
      {
        details: { argument },
      },
    );
  }
  if (json === undefined) {
    throw new BackplaneError(
      'E_SESSION_DATA_INVALID',
      `${argument} cannot be stored as JSON (${describeValue(value)})`,
      {
        details: { argument },
      },
    );
  }
  return json;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  // Framework session objects (express-session's Session, @fastify/session's) are class instances whose
  // own enumerable keys are the data; only arrays, Maps, Dates and the like are refused.
  return !(value instanceof Map || value instanceof Set || value instanceof Date || proto === Array.prototype);
}

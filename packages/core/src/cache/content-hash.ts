import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

/** A value JSON can carry; object key order does not change the hash. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

/**
 * A stable SHA-256 (hex) of a JSON-able request object and optional file bytes, for keys like
 * `pdf:<hash>`: the same request and files always give the same key, whatever the key order.
 * @example const key = `pdf:${contentHash({ template, options }, uploadedBytes)}`
 */
export function contentHash(request: JsonValue, ...files: Uint8Array[]): string {
  const hash = createHash('sha256');
  hash.update(canonicalJson(request, 'request', new Set()));
  files.forEach((file, index) => {
    if (!(file instanceof Uint8Array))
      throw new InvalidArgumentError(`files[${index}]`, 'must be a Buffer or Uint8Array', file);
    // The length goes first, so ['ab'] and ['a','b'] never collide.
    hash.update(`\0${file.byteLength}\0`);
    hash.update(file);
  });
  return hash.digest('hex');
}

/** JSON with object keys sorted; refuses what JSON would silently change (functions, NaN, cycles). */
function canonicalJson(value: unknown, path: string, seen: Set<object>): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidArgumentError(path, 'must be a finite number', value);
    return JSON.stringify(value);
  }
  if (typeof value !== 'object') throw new InvalidArgumentError(path, 'is not JSON-able', value);
  if (seen.has(value)) throw new InvalidArgumentError(path, 'contains a cycle');
  seen.add(value);
  let text: string;
  if (Array.isArray(value)) {
    text = `[${value.map((item, index) => canonicalJson(item, `${path}[${index}]`, seen)).join(',')}]`;
  } else {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw new InvalidArgumentError(path, 'must be a plain object, array or JSON primitive', value);
    }
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map(
        (key) =>
          `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key], `${path}.${key}`, seen)}`,
      );
    text = `{${entries.join(',')}}`;
  }
  seen.delete(value);
  return text;
}

import { InvalidArgumentError } from '../errors.js';

/** Milliseconds, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'24h'`, `'7d'`. */
export type Duration = number | `${number}${DurationUnit}` | `${number} ${DurationUnit}`;
type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;

/**
 * Turns a duration into whole milliseconds. `argument` names the option in the error thrown for a
 * negative, non-finite or unparsable value.
 */
export function toMilliseconds(value: unknown, argument: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(argument, 'must be a duration of zero or more milliseconds', value);
    }
    return Math.round(value);
  }
  if (typeof value === 'string') {
    const match = PATTERN.exec(value);
    if (match) return Math.round(Number(match[1]) * UNIT_MS[match[2] as DurationUnit]);
  }
  throw new InvalidArgumentError(argument, "must be milliseconds or a string like '30s', '5m', '24h'", value);
}

import { CronExpressionParser } from 'cron-parser';
import { InvalidArgumentError } from '../../errors.js';

/** The fields of a cron expression, in order; six-field expressions put `second` first. */
export const CRON_FIELDS = ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const;
export type CronField = 'second' | (typeof CRON_FIELDS)[number];

/** A malformed cron expression; `field` names the part that is wrong (`cron` when it is the whole). */
export class InvalidCronError extends InvalidArgumentError {
  readonly field: CronField | 'cron';

  constructor(field: CronField | 'cron', problem: string, expression: string) {
    super(field === 'cron' ? 'cron' : `cron field "${field}"`, problem, expression);
    this.field = field;
  }
}

/** When a schedule fires: a cron expression (in a time zone) or a fixed interval. */
export type Timing =
  | { readonly kind: 'cron'; readonly cron: string; readonly timezone: string | undefined }
  | { readonly kind: 'interval'; readonly everyMs: number; readonly offsetMs: number };

/**
 * Throws `InvalidCronError` naming the first wrong field. cron-parser's own messages say what is
 * wrong but not where, so each field is tried alone with the others left as `*`.
 */
export function validateCron(expression: string, timezone?: string): void {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new InvalidCronError('cron', 'must be a cron expression such as "*/5 * * * *"', expression);
  }
  validateTimezone(timezone);
  const trimmed = expression.trim();
  if (!trimmed.startsWith('@')) {
    const parts = trimmed.split(/\s+/);
    if (parts.length !== 5 && parts.length !== 6) {
      throw new InvalidCronError(
        'cron',
        `must have 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, not ${parts.length}`,
        expression,
      );
    }
    const names: readonly CronField[] = parts.length === 6 ? ['second', ...CRON_FIELDS] : CRON_FIELDS;
    parts.forEach((part, index) => {
      const alone = parts.map((other, at) => (at === index ? other : '*')).join(' ');
      const problem = cronProblem(alone);
      if (problem !== undefined) throw new InvalidCronError(names[index] ?? 'cron', problem, expression);
    });
  }
  const problem = cronProblem(trimmed, timezone);
  if (problem !== undefined) {
    // Every field is fine alone, so the fields contradict each other (such as 30 February).
    const field = /day of month/i.test(problem) ? 'dayOfMonth' : 'cron';
    throw new InvalidCronError(field, problem, expression);
  }
}

function cronProblem(expression: string, timezone?: string): string | undefined {
  try {
    const parsed = CronExpressionParser.parse(expression, timezone === undefined ? {} : { tz: timezone });
    parsed.next();
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `is invalid: ${message}`;
  }
}

export function validateTimezone(timezone: string | undefined): void {
  if (timezone === undefined) return;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new InvalidArgumentError('timezone', 'must be an IANA time zone such as "Europe/Paris"', timezone);
  }
}

/** The first slot strictly after `afterMs`. Cron slots follow the schedule's time zone (DST included). */
export function nextSlot(timing: Timing, afterMs: number): number {
  if (timing.kind === 'interval') {
    // Slots sit at fixed multiples of the interval from the epoch (plus an offset), so every process and
    // every restart computes the same slots without keeping an anchor anywhere.
    const { everyMs, offsetMs } = timing;
    return Math.floor((afterMs - offsetMs) / everyMs) * everyMs + offsetMs + everyMs;
  }
  const options =
    timing.timezone === undefined ? { currentDate: afterMs } : { currentDate: afterMs, tz: timing.timezone };
  return CronExpressionParser.parse(timing.cron, options).next().getTime();
}

import { BackplaneError, InvalidArgumentError } from '../errors.js';
import { toMilliseconds, type Duration } from '../util/duration.js';
import { checkJobLogOptions } from './job-log.js';
import type { NewJob, RetentionRule } from './store.js';
import type { BackoffOptions, JobOptions, JobRetention, TaskDefaults } from './types.js';

export const DEFAULT_QUEUE = 'default';
export const MAX_PRIORITY = 1000;
const QUEUE_NAME = /^[\w.:-]{1,128}$/;

export function checkQueueName(queue: unknown, argument = 'queue'): string {
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue)) {
    throw new InvalidArgumentError(argument, 'must be 1-128 characters of letters, digits, _ . : -', queue);
  }
  return queue;
}

/** An integer argument within bounds, or E_INVALID_ARGUMENT naming it. */
export function checkInteger(value: unknown, argument: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(argument, `must be an integer from ${min} to ${max}`, value);
  }
  return value;
}

function checkKey(value: unknown, argument: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw new InvalidArgumentError(argument, 'must be a non-empty string of at most 512 characters', value);
  }
  return value;
}

export function checkBackoff(backoff: unknown, argument: string): BackoffOptions {
  if (typeof backoff !== 'object' || backoff === null) {
    throw new InvalidArgumentError(argument, "must be { type: 'fixed' | 'exponential', delay, jitter? }", backoff);
  }
  const { type, delay, jitter } = backoff as Partial<BackoffOptions>;
  if (type !== 'fixed' && type !== 'exponential') {
    throw new InvalidArgumentError(`${argument}.type`, "must be 'fixed' or 'exponential'", type);
  }
  const checked: BackoffOptions = { type, delay: toMilliseconds(delay, `${argument}.delay`) };
  if (jitter !== undefined) {
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
      throw new InvalidArgumentError(`${argument}.jitter`, 'must be a number from 0 to 1', jitter);
    }
    checked.jitter = jitter;
  }
  return checked;
}

/** Checks a task's defaults when it is defined, so a typo fails at start-up rather than at enqueue. */
export function checkTaskDefaults(defaults: TaskDefaults): void {
  if (defaults.queue !== undefined) checkQueueName(defaults.queue, 'defaults.queue');
  if (defaults.attempts !== undefined) checkInteger(defaults.attempts, 'defaults.attempts', 1, 1000);
  if (defaults.priority !== undefined) checkInteger(defaults.priority, 'defaults.priority', 0, MAX_PRIORITY);
  if (defaults.backoff !== undefined) checkBackoff(defaults.backoff, 'defaults.backoff');
  if (defaults.timeout !== undefined) toMilliseconds(defaults.timeout, 'defaults.timeout');
  if (defaults.retention !== undefined) checkJobRetention(defaults.retention, 'defaults.retention');
  if (defaults.logs !== undefined) checkJobLogOptions(defaults.logs, 'defaults.logs');
}

/** A job's own retention in ms per outcome, as the store keeps it: -1 forever, undefined the queue's. */
export function checkJobRetention(
  retention: unknown,
  argument: string,
): { completedMs: number | undefined; failedMs: number | undefined } {
  if (typeof retention !== 'object' || retention === null || Array.isArray(retention)) {
    throw new InvalidArgumentError(argument, "must be { completed?, failed? } with durations or 'forever'", retention);
  }
  const { completed, failed, ...rest } = retention as JobRetention;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) {
    throw new InvalidArgumentError(`${argument}.${unknownKey}`, "is not an option (use 'completed' or 'failed')");
  }
  const toMs = (value: JobRetention['completed'], name: string): number | undefined => {
    if (value === undefined) return undefined;
    if (value === 'forever') return -1;
    return toMilliseconds(value, `${argument}.${name}`);
  };
  return { completedMs: toMs(completed, 'completed'), failedMs: toMs(failed, 'failed') };
}

/** Serializes a payload or result; `argument` names it in the E_INVALID_PAYLOAD error. */
export function serialize(value: unknown, argument: string): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (cause) {
    throw new BackplaneError(
      'E_INVALID_PAYLOAD',
      `${argument} cannot be serialized to JSON: ${(cause as Error).message}`,
      {
        details: { argument },
      },
    );
  }
}

/** Validates an enqueue call and builds the job the store writes. Throws before anything is written. */
export function buildJob(
  name: string,
  data: unknown,
  options: JobOptions,
  defaults: TaskDefaults,
  localId: string,
  argument = 'options',
): { queue: string; job: NewJob } {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(argument, 'must be an object', options);
  }
  const queue = checkQueueName(options.queue ?? defaults.queue ?? DEFAULT_QUEUE, `${argument}.queue`);
  let payload = data;
  if (defaults.schema) {
    try {
      payload = defaults.schema.parse(data);
    } catch (cause) {
      throw new BackplaneError(
        'E_INVALID_PAYLOAD',
        `data does not match the schema of task ${name}: ${describe(cause)}`,
        {
          details: { argument: 'data', task: name },
        },
      );
    }
  }
  const priority = checkInteger(options.priority ?? defaults.priority ?? 0, `${argument}.priority`, 0, MAX_PRIORITY);
  const maxAttempts = checkInteger(options.attempts ?? defaults.attempts ?? 1, `${argument}.attempts`, 1, 1000);
  const backoffInput = options.backoff ?? defaults.backoff;
  const backoff = backoffInput === undefined ? '' : JSON.stringify(checkBackoff(backoffInput, `${argument}.backoff`));
  const timeout = options.timeout ?? defaults.timeout;
  const timeoutMs = timeout === undefined ? 0 : toMilliseconds(timeout, `${argument}.timeout`);
  let delayMs = 0;
  if (options.delay !== undefined && options.runAt !== undefined) {
    throw new InvalidArgumentError(`${argument}.runAt`, 'cannot be combined with delay');
  }
  if (options.delay !== undefined) delayMs = toMilliseconds(options.delay, `${argument}.delay`);
  if (options.runAt !== undefined) {
    const at = options.runAt instanceof Date ? options.runAt.getTime() : options.runAt;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      throw new InvalidArgumentError(
        `${argument}.runAt`,
        'must be a Date or milliseconds since the epoch',
        options.runAt,
      );
    }
    delayMs = Math.max(0, Math.round(at - Date.now()));
  }
  const idempotencyKey =
    options.idempotencyKey === undefined ? '' : checkKey(options.idempotencyKey, `${argument}.idempotencyKey`);
  const group = options.group === undefined ? '' : checkKey(options.group, `${argument}.group`);
  // Per outcome, the job's option wins over the task's default.
  const own =
    options.retention === undefined ? undefined : checkJobRetention(options.retention, `${argument}.retention`);
  const task =
    defaults.retention === undefined ? undefined : checkJobRetention(defaults.retention, 'defaults.retention');
  const job: NewJob = {
    localId,
    name,
    data: serialize(payload, 'data'),
    priority,
    maxAttempts,
    backoff,
    timeoutMs,
    delayMs,
    idempotencyKey,
    group,
    keepCompletedMs: own?.completedMs ?? task?.completedMs,
    keepFailedMs: own?.failedMs ?? task?.failedMs,
  };
  return { queue, job };
}

/** The wait before the next attempt; `attempt` is the attempt that just failed (1 = the first). */
export function backoffDelay(backoffJson: string, attempt: number, random: () => number = Math.random): number {
  if (backoffJson === '') return 0;
  const backoff = JSON.parse(backoffJson) as { type: string; delay: number; jitter?: number };
  const base = backoff.type === 'exponential' ? backoff.delay * 2 ** Math.max(0, attempt - 1) : backoff.delay;
  const jitter = backoff.jitter ?? 0;
  return Math.round(base * (1 - jitter * random()));
}

export type RetentionOption = Duration | { count: number } | { age?: Duration; count?: number };

export function toRetentionRule(
  option: RetentionOption | undefined,
  fallbackMs: number,
  argument: string,
): RetentionRule {
  if (option === undefined) return { ageMs: fallbackMs, keep: -1 };
  if (typeof option === 'object' && option !== null) {
    const { count } = option as { count?: unknown };
    const age = 'age' in option ? option.age : undefined;
    return {
      ageMs: age === undefined ? 0 : toMilliseconds(age, `${argument}.age`),
      keep: count === undefined ? -1 : checkInteger(count, `${argument}.count`, 0, Number.MAX_SAFE_INTEGER),
    };
  }
  return { ageMs: Math.max(1, toMilliseconds(option, argument)), keep: -1 };
}

/**
 * One line on what a schema refused. Schemas that list their issues with a path (zod, valibot, any
 * Standard Schema) give `data.width: Too small: expected number to be >0; …`: zod's own message is the
 * issues as multi-line JSON, unreadable in an HTTP error or a log line.
 */
function describe(error: unknown): string {
  const issues = (error as { issues?: unknown } | null)?.issues;
  let message: string;
  if (Array.isArray(issues) && issues.length > 0) {
    message = issues
      .slice(0, 5)
      .map((issue: { path?: unknown; message?: unknown }) => {
        const path = Array.isArray(issue.path) ? issue.path.map((key) => `.${String(key)}`).join('') : '';
        return `data${path}: ${typeof issue.message === 'string' ? issue.message : 'invalid'}`;
      })
      .join('; ');
    if (issues.length > 5) message += `; and ${issues.length - 5} more`;
  } else {
    message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  }
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

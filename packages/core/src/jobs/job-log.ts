import { format } from 'node:util';
import { InvalidArgumentError } from '../errors.js';
import type { Bindings, ChildLoggerOptions } from 'pino';
import { CREDENTIAL_FIELDS, type Logger } from '../logger.js';
import { parseJobId } from './records.js';
import { checkInteger } from './options.js';
import type { JobStore } from './store.js';

/**
 * A job's own log: the lines its handler wrote through `ctx.log`, kept with the job (newest N) so the
 * job page, the HTTP API and the CLI can show them after the worker's process log has scrolled away.
 */

export const JOB_LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type JobLogLevel = (typeof JOB_LOG_LEVELS)[number];

export interface JobLogLine {
  /** When it was logged (ms since the epoch). */
  time: number;
  level: JobLogLevel;
  message: string;
  /** The attempt that logged it (1 = the first run). */
  attempt: number;
  /** The object logged with the message, if any (credential fields masked). */
  fields?: Record<string, unknown>;
}

export interface JobLogPage {
  /** Lines from `offset`, oldest first. */
  lines: JobLogLine[];
  /** Lines the job's log holds (the newest ones are kept; see `jobLogs.keep`). */
  total: number;
  offset: number;
}

/** Stored form of a line: short keys, as it is repeated per line. */
interface StoredLine {
  t: number;
  l: JobLogLevel;
  m: string;
  a: number;
  f?: Record<string, unknown>;
}

const MAX_MESSAGE_CHARS = 2000;
const MAX_FIELDS_CHARS = 4000;
/** Masked at any depth and in any case, as the process log masks them by path. */
const SECRET_KEYS: ReadonlySet<string> = new Set(CREDENTIAL_FIELDS);

const rank = (level: JobLogLevel): number => JOB_LOG_LEVELS.indexOf(level);

/** How much of `ctx.log` a job keeps: createJobs' `jobLogs`, or a task's `logs` over it. */
export interface JobLogOptions {
  /** The newest lines kept, 0 to 10,000 (0 keeps none). */
  keep?: number;
  /** The lowest level kept. */
  level?: JobLogLevel;
}

/** Throws E_INVALID_ARGUMENT naming `<argument>.keep` or `<argument>.level` when either is bad. */
export function checkJobLogOptions(options: JobLogOptions, argument: string): void {
  const { keep, level } = options;
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 0 || keep > 10_000)) {
    throw new InvalidArgumentError(`${argument}.keep`, 'must be an integer from 0 to 10000', keep);
  }
  if (level !== undefined && !JOB_LOG_LEVELS.includes(level)) {
    throw new InvalidArgumentError(`${argument}.level`, `must be one of ${JOB_LOG_LEVELS.join(', ')}`, level);
  }
}

function masked(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return { message: value.message, ...(hasCode(value) && { code: value.code }) };
  if (depth > 4) return '[nested]';
  if (Array.isArray(value)) return value.map((item) => masked(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? '***' : masked(inner, depth + 1);
  }
  return out;
}

const hasCode = (error: Error): error is Error & { code: unknown } => 'code' in error;

/** One pino-style call (`(obj?, msg?, ...args)`) as a stored line. */
export function formatLogLine(level: JobLogLevel, args: readonly unknown[], attempt: number, now: number): string {
  let [first, ...rest] = args;
  let fields: Record<string, unknown> | undefined;
  if (typeof first === 'object' && first !== null) {
    fields = masked(first, 0) as Record<string, unknown>;
    if (first instanceof Error && rest.length === 0) rest = [first.message];
    [first, ...rest] = rest;
  }
  let message = first === undefined ? '' : format(first, ...rest);
  if (message.length > MAX_MESSAGE_CHARS) message = `${message.slice(0, MAX_MESSAGE_CHARS)}…`;
  const line: StoredLine = { t: now, l: level, m: message, a: attempt };
  if (fields && Object.keys(fields).length > 0) {
    let json: string | undefined;
    try {
      json = JSON.stringify(fields);
    } catch {
      json = undefined; // what JSON cannot write (a BigInt): the message alone is kept
    }
    line.f =
      json !== undefined && json.length <= MAX_FIELDS_CHARS
        ? fields
        : { note: 'fields left out (too large or not JSON)' };
  }
  return JSON.stringify(line);
}

export function parseLogLine(text: string): JobLogLine {
  try {
    const stored = JSON.parse(text) as StoredLine;
    const line: JobLogLine = { time: stored.t, level: stored.l, message: stored.m, attempt: stored.a };
    if (stored.f !== undefined) line.fields = stored.f;
    return line;
  } catch {
    return { time: 0, level: 'info', message: text, attempt: 0 };
  }
}

/**
 * `logger` with every call at `level` or above also handed to `record` (and children made from it
 * likewise). The process log is unchanged: its own level still decides what it writes.
 */
export function recordingLogger(
  logger: Logger,
  level: JobLogLevel,
  record: (level: JobLogLevel, args: readonly unknown[]) => void,
): Logger {
  const threshold = rank(level);
  return new Proxy(logger, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'child') {
        return (bindings: Bindings, options?: ChildLoggerOptions<never>) =>
          recordingLogger(target.child(bindings, options), level, record);
      }
      const index = JOB_LOG_LEVELS.indexOf(property as JobLogLevel);
      if (index < threshold) return (value as (...inner: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        record(property as JobLogLevel, args);
        return (value as (...inner: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export interface GetLogsOptions {
  /** First line to return, counted from the oldest line kept. @default 0 */
  offset?: number;
  /** Most lines to return, 1 to 1000. @default 100 */
  limit?: number;
}

/** `Jobs.getLogs`: checks the options, then reads one page of the job's log. */
export async function readJobLogs(
  store: JobStore,
  spooled: (queue: string, localId: string) => boolean,
  id: string,
  options: GetLogsOptions,
): Promise<JobLogPage | undefined> {
  const offset = options.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0)
    throw new InvalidArgumentError('offset', 'must be an integer of 0 or more', offset);
  const limit = checkInteger(options.limit ?? 100, 'limit', 1, 1000);
  const { queue, localId } = parseJobId(id);
  // A spooled job has not reached the store yet, so it has not run: its log is empty.
  if (spooled(queue, localId)) return { lines: [], total: 0, offset };
  const page = await store.readLogs(queue, localId, offset, limit);
  return page && { lines: page.lines.map(parseLogLine), total: page.total, offset };
}

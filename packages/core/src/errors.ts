/**
 * Every error backplane throws carries a stable `code` from this table. The HTTP layer maps codes to
 * status codes through `status`; docs/errors.md lists every code and a test keeps the two in sync.
 */
import { CACHE_ERROR_CODES } from './cache/error-codes.js';
import { JOBS_ERROR_CODES } from './jobs/error-codes.js';
import { SESSIONS_ERROR_CODES } from './sessions/error-codes.js';

const CORE_ERROR_CODES = {
  E_CONFIG: { status: 500, description: 'The configuration (environment or options) is invalid.' },
  E_INVALID_ARGUMENT: { status: 400, description: 'A library call received a bad argument.' },
  E_VALIDATION: {
    status: 422,
    description: 'A request is well-formed but fails the schema (wrong type, missing field).',
  },
  E_BAD_REQUEST: { status: 400, description: 'The request is malformed (for example, invalid JSON).' },
  E_UNAUTHORIZED: { status: 401, description: 'A bearer token is missing or wrong.' },
  E_NOT_FOUND: { status: 404, description: 'The route or resource does not exist.' },
  E_METHOD_NOT_ALLOWED: { status: 405, description: 'The route exists but not for this method.' },
  E_PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body is over the size limit.' },
  E_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: 'The request body has a content type the route does not accept.',
  },
  E_RATE_LIMITED: { status: 429, description: 'Too many requests from this client.' },
  E_REDIS_UNAVAILABLE: { status: 503, description: 'Redis is down or did not answer within the budget.' },
  E_TIMEOUT: { status: 504, description: 'An operation did not finish within its time budget.' },
  E_CLOSED: { status: 503, description: 'The component was closed and accepts no more calls.' },
  E_INTERNAL: { status: 500, description: 'An unexpected error; the log has the details.' },
  E_FORBIDDEN: {
    status: 403,
    description:
      'Signed in, but not allowed: a dashboard mutation without its CSRF token, from another origin, or in read-only mode.',
  },
  E_UPSTREAM: { status: 502, description: 'The dashboard could not reach the service API it forwards to.' },
  E_DASHBOARD_NOT_BUILT: { status: 503, description: 'The dashboard front end is not built; run npm run build.' },
} as const satisfies Record<string, { status: number; description: string }>;

export const ERROR_CODES = {
  ...CORE_ERROR_CODES,
  ...CACHE_ERROR_CODES,
  ...JOBS_ERROR_CODES,
  ...SESSIONS_ERROR_CODES,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface BackplaneErrorOptions {
  cause?: unknown;
  /** Extra fields safe to show a caller (never secrets). */
  details?: Record<string, unknown>;
}

export class BackplaneError extends Error {
  override readonly name: string = 'BackplaneError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: BackplaneErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** The HTTP status the service answers with for this error. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** A bad argument to a library call; `argument` names it so the message can say what to fix. */
export class InvalidArgumentError extends BackplaneError {
  override readonly name = 'InvalidArgumentError';
  readonly argument: string;

  constructor(argument: string, problem: string, received?: unknown) {
    const shown = received === undefined ? '' : ` (received ${describeValue(received)})`;
    super('E_INVALID_ARGUMENT', `${argument} ${problem}${shown}`, { details: { argument } });
    this.argument = argument;
  }
}

export class ConfigError extends BackplaneError {
  override readonly name = 'ConfigError';
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super('E_CONFIG', `${variable} ${problem}`, { details: { variable } });
    this.variable = variable;
  }
}

export class RedisUnavailableError extends BackplaneError {
  override readonly name = 'RedisUnavailableError';
  constructor(connection: string, message: string, options: BackplaneErrorOptions = {}) {
    super('E_REDIS_UNAVAILABLE', `redis (${connection}): ${message}`, {
      ...options,
      details: { connection, ...options.details },
    });
  }
}

export function isBackplaneError(error: unknown): error is BackplaneError {
  return error instanceof BackplaneError;
}

/** A short, safe rendering of a received value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} chars` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return `an object`;
  return typeof value;
}

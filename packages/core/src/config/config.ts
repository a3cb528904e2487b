import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseRedisUrl } from '../redis/url.js';

/** The validated configuration of a backplane process. */
export interface BackplaneConfig {
  /** Redis URL per component; `undefined` means the embedded memory backend for that component. */
  redis: {
    cache: string | undefined;
    jobs: string | undefined;
    sessions: string | undefined;
  };
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Bearer token for admin and mutating endpoints; `undefined` leaves them open (loopback only). */
  adminToken: string | undefined;
  /** Prefix of every Redis key backplane writes, so several apps can share one server. */
  keyPrefix: string;
  /** Per-command Redis budget in milliseconds. */
  redisCommandTimeoutMs: number;
  /** Redis connect budget in milliseconds. */
  redisConnectTimeoutMs: number;
  /** Requests per minute one client may make to the HTTP API; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Largest HTTP request body in bytes. */
  bodyLimitBytes: number;
  /** Jobs the server runs at once in its own worker; 0 leaves jobs to `backplane worker` processes. */
  workerConcurrency: number;
  /** The dashboard shows everything and changes nothing. */
  dashboardReadOnly: boolean;
}

/** One row per environment variable: the README's configuration table is generated from this. */
export const ENVIRONMENT_VARIABLES = [
  {
    name: 'REDIS_URL',
    default: '(none: memory backend)',
    description:
      'Redis for every component: redis://, rediss:// (TLS) or unix:// with optional user, password and db; a Redis Cluster as redis+cluster://[user:password@]host:port,host:port (rediss+cluster:// for TLS).',
  },
  {
    name: 'CACHE_REDIS_URL',
    default: 'REDIS_URL',
    description: 'Redis for the cache only (an evicting maxmemory-policy suits it).',
  },
  {
    name: 'JOBS_REDIS_URL',
    default: 'REDIS_URL',
    description: 'Redis for jobs only (must not evict: use noeviction).',
  },
  { name: 'SESSIONS_REDIS_URL', default: 'REDIS_URL', description: 'Redis for sessions only.' },
  { name: 'HOST', default: '127.0.0.1', description: 'Address the HTTP server binds.' },
  { name: 'PORT', default: '3000', description: 'Port the HTTP server listens on (0 picks a free one).' },
  { name: 'LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent.' },
  {
    name: 'BACKPLANE_ADMIN_TOKEN',
    default: '(none)',
    description:
      'Bearer token for admin and mutating endpoints; required when HOST is not loopback. At least 16 characters.',
  },
  { name: 'BACKPLANE_KEY_PREFIX', default: 'bp', description: 'Prefix of every Redis key backplane writes.' },
  {
    name: 'REDIS_COMMAND_TIMEOUT_MS',
    default: '500',
    description: 'Longest wait for one Redis reply before the call fails (or fails open).',
  },
  { name: 'REDIS_CONNECT_TIMEOUT_MS', default: '2000', description: 'Longest wait for a Redis connection to open.' },
  {
    name: 'RATE_LIMIT_PER_MINUTE',
    default: '1200',
    description: 'HTTP requests per minute per client address; 0 turns the limit off.',
  },
  {
    name: 'WORKER_CONCURRENCY',
    default: '4',
    description:
      'Jobs `backplane server` runs at once in its own worker; 0 leaves them to `backplane worker` processes (the memory backend needs the in-process worker).',
  },
  {
    name: 'DASHBOARD_READ_ONLY',
    default: 'false',
    description: 'true: the dashboard at /dashboard shows everything and changes nothing.',
  },
  { name: 'BODY_LIMIT_BYTES', default: '1048576', description: 'Largest HTTP request body; larger ones get 413.' },
] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalText = z
  .string()
  .transform((value) => value.trim())
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .refine((value) => value >= min && value <= max, { message: `must be a whole number from ${min} to ${max}` });

const schema = z.object({
  REDIS_URL: optionalText,
  CACHE_REDIS_URL: optionalText,
  JOBS_REDIS_URL: optionalText,
  SESSIONS_REDIS_URL: optionalText,
  HOST: optionalText.transform((value) => value ?? '127.0.0.1'),
  PORT: integer(0, 65535)
    .optional()
    .transform((value) => value ?? 3000),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
    .optional()
    .transform((value) => value ?? 'info'),
  BACKPLANE_ADMIN_TOKEN: optionalText.refine((value) => value === undefined || value.length >= 16, {
    message: 'must be at least 16 characters',
  }),
  BACKPLANE_KEY_PREFIX: optionalText
    .refine((value) => value === undefined || /^[A-Za-z0-9_.:-]{1,64}$/.test(value), {
      message: 'must be 1 to 64 letters, digits or _ . : -',
    })
    .transform((value) => value ?? 'bp'),
  REDIS_COMMAND_TIMEOUT_MS: integer(1, 60_000)
    .optional()
    .transform((value) => value ?? 500),
  REDIS_CONNECT_TIMEOUT_MS: integer(1, 60_000)
    .optional()
    .transform((value) => value ?? 2000),
  RATE_LIMIT_PER_MINUTE: integer(0, 10_000_000)
    .optional()
    .transform((value) => value ?? 1200),
  BODY_LIMIT_BYTES: integer(1024, 1024 * 1024 * 1024)
    .optional()
    .transform((value) => value ?? 1024 * 1024),
  WORKER_CONCURRENCY: integer(0, 10_000)
    .optional()
    .transform((value) => value ?? 4),
  DASHBOARD_READ_ONLY: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .optional()
    .transform((value) => value === 'true'),
});

/**
 * Validates a set of environment variables. Throws a `ConfigError` whose message names the first bad
 * variable and what is wrong with it, and never repeats a value (it could be a password).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): BackplaneConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'configuration');
    throw new ConfigError(variable, issue?.message ?? 'is invalid');
  }
  const values = parsed.data;
  const urls = {
    cache: values.CACHE_REDIS_URL ?? values.REDIS_URL,
    jobs: values.JOBS_REDIS_URL ?? values.REDIS_URL,
    sessions: values.SESSIONS_REDIS_URL ?? values.REDIS_URL,
  };
  // Validate each URL by the variable it came from, so the error names the right one.
  for (const variable of ['REDIS_URL', 'CACHE_REDIS_URL', 'JOBS_REDIS_URL', 'SESSIONS_REDIS_URL'] as const) {
    const url = values[variable];
    if (url !== undefined) parseRedisUrl(url, variable);
  }
  return {
    redis: urls,
    host: values.HOST,
    port: values.PORT,
    logLevel: values.LOG_LEVEL,
    adminToken: values.BACKPLANE_ADMIN_TOKEN,
    keyPrefix: values.BACKPLANE_KEY_PREFIX,
    redisCommandTimeoutMs: values.REDIS_COMMAND_TIMEOUT_MS,
    redisConnectTimeoutMs: values.REDIS_CONNECT_TIMEOUT_MS,
    rateLimitPerMinute: values.RATE_LIMIT_PER_MINUTE,
    bodyLimitBytes: values.BODY_LIMIT_BYTES,
    workerConcurrency: values.WORKER_CONCURRENCY,
    dashboardReadOnly: values.DASHBOARD_READ_ONLY,
  };
}

/**
 * The process environment over the variables of a `.env` file, when one exists: real environment
 * variables win, so a deployment can override a checked-in file.
 */
export function environmentWithDotenv(
  path = '.env',
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  if (!existsSync(path)) return { ...env };
  let fromFile: Record<string, string>;
  try {
    fromFile = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch {
    throw new ConfigError(path, 'could not be read as a .env file');
  }
  return { ...fromFile, ...env };
}

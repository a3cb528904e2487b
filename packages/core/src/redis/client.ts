import { Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './url.js';

/** Budgets for one Redis client; every default is short on purpose, see docs/redis.md. */
export interface RedisClientBudgets {
  /**
   * Longest wait for one command's reply before it fails. `undefined` for clients that run blocking
   * commands, which carry their own server-side timeout.
   * @default 500
   */
  commandTimeoutMs?: number | undefined;
  /** @default 2000 */
  connectTimeoutMs?: number;
  /** Ceiling of the reconnect backoff; the first retries come much sooner. @default 2000 */
  maxReconnectDelayMs?: number;
}

export const DEFAULT_BUDGETS = {
  commandTimeoutMs: 500,
  connectTimeoutMs: 2000,
  maxReconnectDelayMs: 2000,
} as const;

/**
 * Exponential backoff from 50 ms up to the ceiling, with "equal jitter" (half fixed, half random) so a
 * fleet of processes that lost the same Redis does not reconnect in lockstep.
 */
export function reconnectDelay(attempt: number, ceilingMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(ceilingMs, 50 * 2 ** Math.min(attempt, 16));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/**
 * Builds an ioredis client for a target. Every client of backplane comes from here, so the budgets
 * hold everywhere: no offline queue (a dead Redis fails a call at once instead of queueing it for
 * many seconds), a per-command timeout, auto-pipelining, and jittered reconnects forever.
 */
export function createRedisClient(target: RedisTarget, name: string, budgets: RedisClientBudgets = {}): Redis {
  const commandTimeoutMs = 'commandTimeoutMs' in budgets ? budgets.commandTimeoutMs : DEFAULT_BUDGETS.commandTimeoutMs;
  const connectTimeoutMs = budgets.connectTimeoutMs ?? DEFAULT_BUDGETS.connectTimeoutMs;
  const ceiling = budgets.maxReconnectDelayMs ?? DEFAULT_BUDGETS.maxReconnectDelayMs;
  const options: RedisOptions = {
    db: target.db,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 0,
    connectTimeout: connectTimeoutMs,
    keepAlive: 10_000,
    connectionName: `backplane:${name}`,
    retryStrategy: (times) => reconnectDelay(times, ceiling),
  };
  if (commandTimeoutMs !== undefined) options.commandTimeout = commandTimeoutMs;
  if (target.username !== undefined) options.username = target.username;
  if (target.password !== undefined) options.password = target.password;
  if (target.transport === 'unix') {
    options.path = target.path;
  } else {
    options.host = target.host;
    options.port = target.port;
  }
  if (target.tls) options.tls = { servername: target.host };
  return new Redis(options);
}

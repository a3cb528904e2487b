import { isIP } from 'node:net';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { StallWatchedRedis } from './stall-watched.js';
import type { RedisNodeAddress, RedisTarget } from './url.js';

/**
 * A client of one Redis server or of a Redis Cluster. Single-key commands, scripts whose keys share a
 * slot, pub/sub and blocking reads work the same on both; whatever spans the keyspace (SCAN, INFO) must
 * go to each master of a cluster, see `keyspaceNodes()` in ./keyspace.ts.
 */
export type RedisClient = Redis | Cluster;

/** Budgets for one Redis client; every default is short on purpose, see docs/redis-client-choice.md. */
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
  /**
   * ioredis auto-pipelining: commands issued in one tick go out in one write. It pays off for many
   * concurrent small commands (cache reads) and costs a lone command a tick and a pipeline object:
   * a sequential job enqueue took 0.23 ms with it and 0.10 ms without (docs/jobs-bench.md), so the
   * jobs connection of `Backplane` turns it off. @default true
   */
  autoPipelining?: boolean;
  /**
   * Keep the command budget with one timer per client (a connection with no reply for
   * `commandTimeoutMs` while commands wait is closed, failing them all) instead of a timer per command:
   * cheaper for many lone commands, but a command that legitimately runs past the budget closes the
   * connection. The jobs connection of `Backplane` uses it; see ./stall-watched.ts. Server clients
   * only: a cluster keeps per-command timers. @default false
   */
  stallWatch?: boolean;
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
export function createRedisClient(target: RedisTarget, name: string, budgets: RedisClientBudgets = {}): RedisClient {
  return target.transport === 'cluster'
    ? createClusterClient(target, name, budgets)
    : createServerClient(target, name, budgets);
}

function resolveBudgets(budgets: RedisClientBudgets): {
  commandTimeoutMs: number | undefined;
  connectTimeoutMs: number;
  ceiling: number;
} {
  return {
    commandTimeoutMs: 'commandTimeoutMs' in budgets ? budgets.commandTimeoutMs : DEFAULT_BUDGETS.commandTimeoutMs,
    connectTimeoutMs: budgets.connectTimeoutMs ?? DEFAULT_BUDGETS.connectTimeoutMs,
    ceiling: budgets.maxReconnectDelayMs ?? DEFAULT_BUDGETS.maxReconnectDelayMs,
  };
}

/**
 * How long, at most, a cluster client retries a command whose node connection closed or that met
 * CLUSTERDOWN/TRYAGAIN: delay x redirections. Short, like the command budget, so a lost master costs a
 * request a few hundred ms rather than ioredis' default of 16 tries.
 */
const CLUSTER_RETRY_DELAY_MS = 50;
const CLUSTER_MAX_REDIRECTIONS = 6;
const CLUSTER_SLOTS_REFRESH_MS = 5_000;

/**
 * A Cluster client with the same budgets. The command timeout and connect timeout apply on every node
 * connection; the cluster itself has no offline queue (calls fail at once while it is not ready), and the
 * cluster reconnects with the same jittered backoff. Node connections are reconnected by the cluster
 * (slot refresh), not each by itself.
 */
function createClusterClient(target: RedisTarget, name: string, budgets: RedisClientBudgets): Cluster {
  const { commandTimeoutMs, connectTimeoutMs, ceiling } = resolveBudgets(budgets);
  const redisOptions: NonNullable<ClusterOptions['redisOptions']> = {
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest: 0,
    keepAlive: 10_000,
    connectionName: `backplane:${name}`,
  };
  if (commandTimeoutMs !== undefined) redisOptions.commandTimeout = commandTimeoutMs;
  if (target.username !== undefined) redisOptions.username = target.username;
  if (target.password !== undefined) redisOptions.password = target.password;
  if (target.tls) redisOptions.tls = {};
  const options: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: budgets.autoPipelining ?? true,
    enableReadyCheck: true,
    clusterRetryStrategy: (times) => reconnectDelay(times, ceiling),
    retryDelayOnFailover: CLUSTER_RETRY_DELAY_MS,
    retryDelayOnClusterDown: CLUSTER_RETRY_DELAY_MS,
    retryDelayOnTryAgain: CLUSTER_RETRY_DELAY_MS,
    maxRedirections: CLUSTER_MAX_REDIRECTIONS,
    slotsRefreshTimeout: connectTimeoutMs,
    // Refreshed by keepSlotsFresh instead (see there).
    slotsRefreshInterval: 0,
    redisOptions,
  };
  const cluster = new Cluster(
    target.nodes.map((node) => ({ host: node.host, port: node.port })),
    options,
  );
  keepSlotsFresh(cluster, CLUSTER_SLOTS_REFRESH_MS);
  return cluster;
}

/**
 * Refreshes a cluster client's slot map every `intervalMs` while it is ready. ioredis drops a node from
 * its pool when its connection ends and, without a periodic refresh, only a MOVED reply brings it back:
 * a master that restarted would stay out of scans and probes. ioredis' own `slotsRefreshInterval` is not
 * used: when the client is disconnected while one of its refreshes is in flight, it schedules the next
 * round anyway, and from then on one every interval for ever, a timer that keeps the process from
 * exiting after close (a CI test file hung this way). This timer never holds the process, and it stops
 * when the client ends.
 */
function keepSlotsFresh(cluster: Cluster, intervalMs: number): void {
  const timer = setInterval(() => {
    if (cluster.status === 'ready') cluster.refreshSlotsCache();
  }, intervalMs);
  timer.unref();
  cluster.once('end', () => clearInterval(timer));
}

/**
 * A client for one pub/sub subscription attempt (see ./subscription.ts), to one server: the target, or
 * the given node of a cluster target (a cluster hands every PUBLISH to all its nodes). No command budget
 * (a subscription waits for messages), and no reconnect or re-subscribe of its own: when it ends, the
 * subscription makes a new one, so it knows exactly when it is subscribed again.
 */
export function createSubscriberClient(
  target: RedisTarget,
  name: string,
  budgets: RedisClientBudgets,
  node?: RedisNodeAddress,
): Redis {
  const server: RedisTarget = node
    ? { ...target, transport: 'tcp', host: node.host, port: node.port, nodes: [], db: 0 }
    : target;
  return createServerClient(
    server,
    name,
    { ...budgets, commandTimeoutMs: undefined, autoPipelining: false, stallWatch: false },
    { retryStrategy: () => null, autoResubscribe: false },
  );
}

function createServerClient(
  target: RedisTarget,
  name: string,
  budgets: RedisClientBudgets,
  overrides: Pick<RedisOptions, 'retryStrategy' | 'autoResubscribe'> = {},
): Redis {
  const { commandTimeoutMs, connectTimeoutMs, ceiling } = resolveBudgets(budgets);
  const options: RedisOptions & { replyMapping?: 'legacy' } = {
    db: target.db,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: budgets.autoPipelining ?? true,
    maxRetriesPerRequest: 0,
    connectTimeout: connectTimeoutMs,
    keepAlive: 10_000,
    connectionName: `backplane:${name}`,
    retryStrategy: (times) => reconnectDelay(times, ceiling),
    ...overrides,
  };
  const stallWatch = budgets.stallWatch === true && commandTimeoutMs !== undefined;
  if (commandTimeoutMs !== undefined && !stallWatch) options.commandTimeout = commandTimeoutMs;
  if (target.username !== undefined) options.username = target.username;
  if (target.password !== undefined) options.password = target.password;
  if (target.transport === 'unix') {
    options.path = target.path;
  } else {
    options.host = target.host;
    options.port = target.port;
  }
  // SNI names a host; an IP address there is refused by RFC 6066 (and Node warns), the certificate is then
  // checked against the IP alone.
  if (target.tls) options.tls = isIP(target.host) === 0 ? { servername: target.host } : {};
  return stallWatch ? new StallWatchedRedis(options, commandTimeoutMs) : new Redis(options);
}

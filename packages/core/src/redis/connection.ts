import { EventEmitter } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { RedisUnavailableError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { createRedactor, redactError, type Redactor } from '../util/redact.js';
import {
  createRedisClient,
  createSubscriberClient,
  DEFAULT_BUDGETS,
  type RedisClient,
  type RedisClientBudgets,
} from './client.js';
import { readClusterInfo, readRedisInfo, type RedisInfo } from './info.js';
import { isCluster, keyspaceNodes } from './keyspace.js';
import { describeTarget, parseRedisUrl, type RedisNodeAddress, type RedisTarget } from './url.js';

/**
 * `up`: ready and answering within budget. `degraded`: connected but slow or failing commands.
 * `down`: no usable connection; callers fail open or fail fast.
 */
export type Availability = 'up' | 'degraded' | 'down';

export interface RedisConnectionOptions extends RedisClientBudgets {
  /** What this connection serves (`cache`, `jobs`, `sessions`…); shown in status and logs. */
  name: string;
  url: string;
  /** Which setting the URL came from, for error messages. @default 'REDIS_URL' */
  variable?: string;
  /** How often the PING probe runs. @default 1000 */
  probeIntervalMs?: number;
  /** A PING slower than this marks the connection degraded. @default 250 */
  slowPingMs?: number;
  logger?: Logger;
}

export interface RedisConnectionStatus {
  name: string;
  /** Where it points, without credentials. */
  target: string;
  availability: Availability;
  /** Round trip of the last successful PING. */
  latencyMs: number | null;
  /** The last error seen, redacted; null once the connection is up again. */
  lastError: string | null;
  /** When the availability last changed (ms since epoch). */
  since: number;
}

interface ConnectionEvents {
  availability: [current: Availability, previous: Availability];
}

/**
 * One Redis connection with an availability state fed by client events and a PING probe. It never
 * throws from its event handlers and never logs credentials; it reconnects by itself forever.
 */
export class RedisConnection extends EventEmitter<ConnectionEvents> {
  readonly name: string;
  readonly target: RedisTarget;
  /** The client, typed for what it is: a `Cluster` for redis+cluster:// and rediss+cluster:// URLs, else a `Redis`. */
  readonly redis: RedisClient;
  /**
   * The same client typed as a single-server `Redis`, as components written before cluster support
   * expect. On a cluster connection it is the `Cluster`, which shares Redis' command, script, pub/sub
   * and status API; code that scans the keyspace or reads per-server state must use `redis`.
   */
  readonly client: Redis;
  readonly redact: Redactor;
  private readonly options: RedisConnectionOptions;
  private readonly logger: Logger;
  private state: Availability = 'down';
  private changedAt = Date.now();
  private latency: number | null = null;
  private lastError: string | null = null;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private closed = false;
  private readonly extraClients = new Set<RedisClient>();

  constructor(options: RedisConnectionOptions) {
    super();
    this.options = options;
    this.name = options.name;
    this.target = parseRedisUrl(options.url, options.variable ?? 'REDIS_URL');
    this.redact = createRedactor([this.target.password]);
    this.logger = (options.logger ?? silentLogger()).child({ redis: this.name, target: describeTarget(this.target) });
    this.redis = createRedisClient(this.target, this.name, options);
    this.client = this.redis as Redis;
    this.watch(this.redis, true);
  }

  /** Starts connecting and probing. Resolves once the first attempt settles; never rejects. */
  async connect(): Promise<void> {
    this.probeTimer = setInterval(() => void this.probe(), this.options.probeIntervalMs ?? 1000);
    this.probeTimer.unref();
    // A Redis that accepts connections but never answers must not hold up a process's start.
    const budget = this.options.connectTimeoutMs ?? DEFAULT_BUDGETS.connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, budget);
    });
    // The client's 'error' event has the cause (a refused TLS certificate, a wrong password); the rejection
    // that follows only says the connection closed, so it must not replace it.
    const connected = this.redis.connect().catch((error: unknown) => {
      if (this.lastError === null) this.noteError(error);
    });
    await Promise.race([connected, gaveUp]);
    clearTimeout(timer);
    await this.probe();
  }

  /** Whether `close()` was called: no client is made any more. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether this connection talks to a Redis Cluster. */
  get cluster(): boolean {
    return isCluster(this.redis);
  }

  get availability(): Availability {
    return this.state;
  }

  status(): RedisConnectionStatus {
    return {
      name: this.name,
      target: describeTarget(this.target),
      availability: this.state,
      latencyMs: this.latency,
      lastError: this.lastError,
      since: this.changedAt,
    };
  }

  /** Resolves when the connection is up, or rejects after `timeoutMs`. */
  async waitUntilUp(timeoutMs = 5000): Promise<void> {
    if (this.state === 'up') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('availability', onChange);
        reject(new RedisUnavailableError(this.name, `not up after ${timeoutMs} ms`));
      }, timeoutMs);
      const onChange = (current: Availability): void => {
        if (current !== 'up') return;
        clearTimeout(timer);
        this.off('availability', onChange);
        resolve();
      };
      this.on('availability', onChange);
    });
  }

  /**
   * Measures one PING round trip in milliseconds. On a cluster every master is asked CLUSTER INFO instead
   * and the slowest answer counts; it rejects when one master fails or does not report `cluster_state:ok`
   * (it answers CLUSTERDOWN to every command then, PING aside).
   */
  async ping(): Promise<number> {
    const started = performance.now();
    if (isCluster(this.redis)) await Promise.all(this.clusterMasters(this.redis).map(checkClusterState));
    else await this.redis.ping();
    return performance.now() - started;
  }

  /** INFO figures; on a cluster, summed over the masters, with each master's own figures in `nodes`. */
  async info(): Promise<RedisInfo> {
    try {
      return isCluster(this.redis) ? await readClusterInfo(this.redis) : await readRedisInfo(this.redis);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /**
   * A further client to the same server or cluster with the same budgets unless overridden (for example
   * no command timeout for blocking reads, or a subscriber). The connection closes it on `close()`. Typed
   * `Redis` like `client`; assign it to a `RedisClient` where the difference matters.
   */
  createClient(purpose: string, budgets: RedisClientBudgets = {}): Redis {
    const client = createRedisClient(this.target, `${this.name}:${purpose}`, { ...this.options, ...budgets });
    this.extraClients.add(client);
    this.watch(client, false);
    client.once('end', () => this.extraClients.delete(client));
    client.connect().catch((error: unknown) => this.noteError(error));
    return client as Redis;
  }

  /**
   * A client for one attempt of a pub/sub subscription (see ./subscription.ts): to the server, or to a
   * master of the cluster picked at random, other than `avoid` (`host:port`) when there is another.
   * Undefined while a cluster knows no master yet. The connection closes it on `close()`.
   */
  createSubscriberClient(purpose: string, avoid?: string): Redis | undefined {
    let node: RedisNodeAddress | undefined;
    if (isCluster(this.redis)) {
      const masters = this.redis
        .nodes('master')
        .map((master) => ({ host: master.options.host ?? '', port: master.options.port ?? 0 }))
        .filter((master) => master.host !== '' && master.port !== 0);
      const others = masters.filter((master) => `${master.host}:${master.port}` !== avoid);
      const pool = others.length > 0 ? others : masters;
      node = pool[Math.floor(Math.random() * pool.length)];
      if (!node) return undefined;
    }
    if (this.closed) return undefined;
    const client = createSubscriberClient(this.target, `${this.name}:${purpose}`, this.options, node);
    this.extraClients.add(client);
    this.watch(client, false);
    client.once('end', () => this.extraClients.delete(client));
    return client;
  }

  /** Wraps any client error as a typed, redacted `E_REDIS_UNAVAILABLE`. */
  unavailable(error: unknown): RedisUnavailableError {
    // The raw client error is not kept as `cause`: whatever logs it would bypass the redactor.
    return new RedisUnavailableError(this.name, redactError(error, this.redact));
  }

  /** Idempotent: stops probing and closes every client, each step running even if another fails. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    const clients = [this.redis, ...this.extraClients];
    await Promise.allSettled(clients.map((client) => closeClient(client)));
    this.state = 'down';
    this.removeAllListeners();
  }

  private watch(client: RedisClient, primary: boolean): void {
    // An ioredis client without an 'error' listener crashes the process; every client gets one.
    client.on('error', (error: unknown) => this.noteError(error));
    // A cluster reports what goes wrong on one node separately; keep it for status, redacted.
    if (isCluster(client)) client.on('node error', (error: unknown) => this.noteError(error));
    if (!primary) return;
    client.on('ready', () => void this.probe());
    client.on('close', () => this.setState('down'));
    client.on('reconnecting', () => this.setState('down'));
  }

  /** Every master, or an error while one lacks a connection; then the slot table is refreshed at once. */
  private clusterMasters(cluster: Cluster): Redis[] {
    try {
      return keyspaceNodes(cluster);
    } catch (error) {
      cluster.refreshSlotsCache();
      throw error;
    }
  }

  /** Runs one probe, or joins the one in flight, so callers can await an up-to-date state. */
  private probe(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.probing ??= this.runProbe().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  private async runProbe(): Promise<void> {
    if (this.redis.status !== 'ready') {
      this.setState('down');
      return;
    }
    try {
      const latency = await this.ping();
      this.latency = Math.round(latency * 100) / 100;
      this.setState(latency > (this.options.slowPingMs ?? 250) ? 'degraded' : 'up');
      if (this.state === 'up') this.lastError = null;
    } catch (error) {
      this.noteError(error);
      this.setState(this.redis.status === 'ready' ? 'degraded' : 'down');
    }
  }

  private noteError(error: unknown): void {
    const message = redactError(error, this.redact);
    // During an outage the client retries every second or two; one log line per new message is enough.
    if (message !== this.lastError) this.logger.warn({ err: message }, 'redis error');
    this.lastError = message;
  }

  private setState(next: Availability): void {
    if (next === this.state) return;
    const previous = this.state;
    this.state = next;
    this.changedAt = Date.now();
    if (this.closed) return;
    const level = next === 'up' ? 'info' : 'warn';
    this.logger[level]({ availability: next, previous }, `redis ${this.name} is ${next}`);
    this.emit('availability', next, previous);
  }
}

async function checkClusterState(node: Redis): Promise<void> {
  const info = (await node.call('CLUSTER', 'INFO')) as string;
  if (!info.includes('cluster_state:ok')) {
    throw new Error(`cluster master ${node.options.host ?? ''}:${node.options.port ?? ''} is not in cluster_state:ok`);
  }
}

async function closeClient(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const quit = client.quit().then(
    () => undefined,
    () => undefined,
  );
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 500).unref());
  await Promise.race([quit, timeout]);
  // quit() may have timed out; the status changed meanwhile, which TypeScript cannot see.
  if ((client.status as string) !== 'end') client.disconnect();
}

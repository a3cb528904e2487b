import type { Cache } from './cache/cache.js';
import { cacheReady, createCache } from './cache/create-cache.js';
import type { BackplaneConfig } from './config/config.js';
import { eventLoopCheck, memoryBackendCheck, redisConnectionCheck } from './health/checks.js';
import { HealthRegistry } from './health/health.js';
import { silentLogger, type Logger } from './logger.js';
import { createMetricsRegistry, registerRedisMetrics, type Registry } from './metrics.js';
import { RedisConnection, type RedisConnectionStatus } from './redis/connection.js';
import type { RedisInfo } from './redis/info.js';
import { createJobs, type Jobs } from './jobs/jobs.js';
import { createJobScheduler } from './jobs/scheduler/index.js';
import type { JobScheduler } from './jobs/scheduler/scheduler.js';
import { createSessionStore } from './sessions/session-store.js';
import type { SessionStore } from './sessions/types.js';
import { policyMayEvict, redisVersionWarning } from './redis/info.js';

export type Component = 'cache' | 'jobs' | 'sessions';
export const COMPONENTS: readonly Component[] = ['cache', 'jobs', 'sessions'];

export interface ComponentRedisStatus extends RedisConnectionStatus {
  info: RedisInfo | null;
  warnings: string[];
}

export type RedisStatusReport =
  | { backend: 'memory' }
  | { backend: 'redis'; connections: Partial<Record<Component, ComponentRedisStatus | { backend: 'memory' }>> };

/**
 * What one backplane process is built on: a Redis connection per component that has a URL (the
 * memory backend for the others), the stores on top of them, and the health checks that watch them.
 */
export class Backplane {
  readonly config: BackplaneConfig;
  readonly logger: Logger;
  readonly health = new HealthRegistry();
  readonly connections: Partial<Record<Component, RedisConnection>> = {};
  /** The two-tier cache (Redis L2 + bus with a cache connection, memory L2 otherwise). */
  readonly cache: Cache;
  /** Jobs: task registry, producers, workers, events. */
  readonly jobs: Jobs;
  readonly sessions: SessionStore;
  /**
   * Cron and interval schedules that enqueue into `jobs`. Not ticking until `scheduler.start()`;
   * any number of processes may start it, each slot still runs once.
   */
  readonly scheduler: JobScheduler;
  /** Prometheus registry shared by every component of this process. */
  readonly metrics: Registry;
  private readonly stopEventLoop: () => void;
  private closed = false;

  private constructor(config: BackplaneConfig, logger: Logger) {
    this.config = config;
    this.logger = logger;
    this.metrics = createMetricsRegistry();
    for (const component of COMPONENTS) {
      const url = config.redis[component];
      if (url === undefined) continue;
      this.connections[component] = new RedisConnection({
        name: component,
        url,
        commandTimeoutMs: config.redisCommandTimeoutMs,
        connectTimeoutMs: config.redisConnectTimeoutMs,
        // The jobs engine batches on its own; a lone enqueue or ack is faster without the extra tick,
        // and its short commands can share one stall timer instead of a timer each.
        autoPipelining: component !== 'jobs',
        stallWatch: component === 'jobs',
        logger,
      });
    }
    const shared = { keyPrefix: config.keyPrefix, logger, metrics: this.metrics };
    this.cache = createCache({ ...shared, connection: this.connections.cache });
    this.jobs = createJobs({ ...shared, connection: this.connections.jobs });
    this.sessions = createSessionStore({ ...shared, connection: this.connections.sessions });
    this.scheduler = createJobScheduler({
      ...shared,
      connection: this.connections.jobs,
      enqueue: (task, data, options) => this.jobs.enqueue(task, data, options),
    });

    for (const component of COMPONENTS) {
      const connection = this.connections[component];
      this.health.register(`redis:${component}`, connection ? redisConnectionCheck(connection) : memoryBackendCheck());
    }
    registerRedisMetrics(this.metrics, () => Object.values(this.connections));
    const loop = eventLoopCheck();
    this.health.register('eventLoop', loop.check);
    this.stopEventLoop = loop.stop;
  }

  /**
   * Builds the process and starts connecting. Resolves after the first connection attempts settle:
   * a Redis that is down at start leaves the process degraded, and it recovers by itself.
   */
  static async start(config: BackplaneConfig, options: { logger?: Logger } = {}): Promise<Backplane> {
    const logger = options.logger ?? silentLogger();
    const backplane = new Backplane(config, logger);
    const redisComponents = COMPONENTS.filter((component) => backplane.connections[component]);
    if (redisComponents.length === 0) {
      logger.info('no REDIS_URL set: using the embedded memory backend (state lives in this process only)');
    } else if (redisComponents.length < COMPONENTS.length) {
      const memory = COMPONENTS.filter((component) => !backplane.connections[component]);
      logger.info({ memory }, `memory backend for ${memory.join(', ')}`);
    }
    await Promise.all(Object.values(backplane.connections).map((connection) => connection.connect()));
    for (const connection of Object.values(backplane.connections)) warnIfTooOld(connection, logger);
    // The bus subscribes once the cache connection is up; a Redis still down at start is fine.
    await cacheReady(backplane.cache).catch(() => undefined);
    return backplane;
  }

  get backend(): 'memory' | 'redis' {
    return Object.keys(this.connections).length === 0 ? 'memory' : 'redis';
  }

  /** INFO figures per component; a component whose Redis is down reports its status without figures. */
  async redisStatus(): Promise<RedisStatusReport> {
    if (this.backend === 'memory') return { backend: 'memory' };
    const entries = await Promise.all(
      COMPONENTS.map(async (component) => {
        const connection = this.connections[component];
        if (!connection) return [component, { backend: 'memory' as const }] as const;
        let info: RedisInfo | null = null;
        let error: string | null = null;
        try {
          info = await connection.info();
        } catch (cause) {
          error = cause instanceof Error ? cause.message : String(cause);
        }
        const status = connection.status();
        const warnings: string[] = [];
        const tooOld = info ? redisVersionWarning(info) : undefined;
        if (tooOld) warnings.push(tooOld);
        if (component === 'jobs' && info && policyMayEvict(info.maxmemoryPolicy)) {
          warnings.push(
            `maxmemory-policy is ${info.maxmemoryPolicy}: Redis may evict job keys; use noeviction for jobs`,
          );
        }
        return [component, { ...status, lastError: status.lastError ?? error, info, warnings }] as const;
      }),
    );
    const connections: Partial<Record<Component, ComponentRedisStatus | { backend: 'memory' }>> = {};
    for (const [component, status] of entries) connections[component] = status;
    return { backend: 'redis', connections };
  }

  /** Idempotent; closes every store and connection even when one of them fails to close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopEventLoop();
    await Promise.allSettled([this.scheduler.close()]);
    await Promise.allSettled([this.jobs.close(), this.cache.close(), this.sessions.close()]);
    await Promise.allSettled(Object.values(this.connections).map((connection) => connection.close()));
  }
}

/**
 * Logs once per connection, as soon as it is up, when its Redis is older than backplane needs: the
 * commands that fail there would otherwise surface as puzzling script errors.
 */
function warnIfTooOld(connection: RedisConnection, logger: Logger): void {
  const check = (): void => {
    connection
      .info()
      .then((info) => {
        const warning = redisVersionWarning(info);
        if (warning) logger.error({ redis: connection.name }, warning);
      })
      .catch(() => undefined);
  };
  if (connection.availability === 'up') return check();
  const onChange = (current: string): void => {
    if (current !== 'up') return;
    connection.off('availability', onChange);
    check();
  };
  connection.on('availability', onChange);
}

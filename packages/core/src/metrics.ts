import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { RedisConnection } from './redis/connection.js';

export type { Registry };

/** A registry with the process metrics every service wants (CPU, memory, event loop, GC). */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'backplane_' });
  return registry;
}

const AVAILABILITY_VALUE = { up: 1, degraded: 0.5, down: 0 } as const;

/**
 * `backplane_redis_up{connection}` (1 up, 0.5 degraded, 0 down) and
 * `backplane_redis_ping_seconds{connection}`, read when scraped.
 */
export function registerRedisMetrics(registry: Registry, connections: () => RedisConnection[]): void {
  new Gauge({
    name: 'backplane_redis_up',
    help: 'Redis connection availability: 1 up, 0.5 degraded, 0 down.',
    labelNames: ['connection'],
    registers: [registry],
    collect() {
      for (const connection of connections()) {
        this.set({ connection: connection.name }, AVAILABILITY_VALUE[connection.availability]);
      }
    },
  });
  new Gauge({
    name: 'backplane_redis_ping_seconds',
    help: 'Round trip of the last successful PING of the connection.',
    labelNames: ['connection'],
    registers: [registry],
    collect() {
      for (const connection of connections()) {
        const latency = connection.status().latencyMs;
        if (latency !== null) this.set({ connection: connection.name }, latency / 1000);
      }
    },
  });
}

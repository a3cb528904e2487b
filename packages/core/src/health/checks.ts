import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { RedisConnection } from '../redis/connection.js';
import type { CheckResult, HealthCheck } from './health.js';

/**
 * A Redis connection that is down leaves the process degraded, not down: the cache fails open and the
 * service keeps answering. Components that cannot work without Redis report that in their own check.
 */
export function redisConnectionCheck(connection: RedisConnection): HealthCheck {
  return (): CheckResult => {
    const status = connection.status();
    return {
      status: status.availability === 'up' ? 'ok' : 'degraded',
      availability: status.availability,
      target: status.target,
      latencyMs: status.latencyMs,
      ...(status.lastError && status.availability !== 'up' ? { error: status.lastError } : {}),
    };
  };
}

export function memoryBackendCheck(): HealthCheck {
  return () => ({ status: 'ok', backend: 'memory' });
}

/**
 * Event-loop delay since the previous check. A slow loop degrades the process but never marks it down:
 * a busy moment must not make a load balancer drop a process that still answers.
 */
export function eventLoopCheck(options: { degradedMs?: number } = {}): {
  check: HealthCheck;
  stop: () => void;
} {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  const degradedMs = options.degradedMs ?? 1000;
  const check: HealthCheck = () => {
    const p99 = histogram.percentile(99) / 1e6;
    const max = histogram.max / 1e6;
    histogram.reset();
    const status = p99 >= degradedMs ? 'degraded' : 'ok';
    return { status, p99Ms: Math.round(p99 * 10) / 10, maxMs: Math.round(max * 10) / 10 };
  };
  return { check, stop: () => histogram.disable() };
}

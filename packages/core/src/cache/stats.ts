import { Counter, Gauge, type Registry } from 'prom-client';
import type { CircuitState } from './breaker.js';

/** Latency percentiles in milliseconds over the most recent samples. */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  /** How many samples the percentiles are computed from (the latest ones, at most 2,048). */
  samples: number;
}

export interface CacheStats {
  hits: { l1: number; l2: number; total: number };
  misses: number;
  staleHits: number;
  loads: number;
  loaderErrors: number;
  redisErrors: number;
  /** Hits (fresh and stale) over all reads; 0 before the first read. */
  hitRate: number;
  evictions: number;
  l1: { entries: number; bytes: number };
  latency: { read: LatencySummary; load: LatencySummary };
  circuit: CircuitState;
}

/** A ring of the latest samples: constant memory, and recording costs one array write. */
class Reservoir {
  private readonly samples = new Float64Array(2048);
  private count = 0;

  record(ms: number): void {
    this.samples[this.count++ % this.samples.length] = ms;
  }

  summary(): LatencySummary {
    const size = Math.min(this.count, this.samples.length);
    const sorted = this.samples.slice(0, size).sort();
    const at = (q: number): number =>
      size === 0 ? 0 : Math.round(sorted[Math.min(size - 1, Math.ceil(q * size) - 1)]! * 1000) / 1000;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), samples: size };
  }
}

/** Counters kept as plain numbers on the hot path; Prometheus reads them when it scrapes. */
export class CacheCounters {
  l1Hits = 0;
  l2Hits = 0;
  misses = 0;
  staleHits = 0;
  loads = 0;
  loaderErrors = 0;
  redisErrors = 0;
  evictions = 0;
  readonly reads = new Reservoir();
  readonly loadTimes = new Reservoir();

  snapshot(l1: { entries: number; bytes: number }, circuit: CircuitState): CacheStats {
    const hits = this.l1Hits + this.l2Hits;
    const reads = hits + this.staleHits + this.misses;
    return {
      hits: { l1: this.l1Hits, l2: this.l2Hits, total: hits },
      misses: this.misses,
      staleHits: this.staleHits,
      loads: this.loads,
      loaderErrors: this.loaderErrors,
      redisErrors: this.redisErrors,
      hitRate: reads === 0 ? 0 : (hits + this.staleHits) / reads,
      evictions: this.evictions,
      l1,
      latency: { read: this.reads.summary(), load: this.loadTimes.summary() },
      circuit,
    };
  }
}

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * Registers the cache's metrics in `registry`, every one labelled with the cache's `name` (never a key).
 * Several caches may share one registry: a metric already registered is reused.
 */
export function registerCacheMetrics(registry: Registry, name: string, read: () => CacheStats): void {
  const counter = (
    metric: string,
    help: string,
    labels: string[],
    value: (s: CacheStats) => Array<[Record<string, string>, number]>,
  ) => {
    const existing = registry.getSingleMetric(metric) as Counter<string> | undefined;
    const collector =
      existing ?? new Counter({ name: metric, help, labelNames: ['cache', ...labels], registers: [registry] });
    addCollect(collector, (c) => {
      const stats = read();
      for (const [extra, n] of value(stats)) {
        const labelSet = { cache: name, ...extra };
        c.remove(labelSet);
        c.inc(labelSet, n);
      }
    });
  };
  const gauge = (
    metric: string,
    help: string,
    labels: string[],
    value: (s: CacheStats) => Array<[Record<string, string>, number]>,
  ) => {
    const existing = registry.getSingleMetric(metric) as Gauge<string> | undefined;
    const collector =
      existing ?? new Gauge({ name: metric, help, labelNames: ['cache', ...labels], registers: [registry] });
    addCollect(collector, (g) => {
      const stats = read();
      for (const [extra, n] of value(stats)) g.set({ cache: name, ...extra }, n);
    });
  };
  counter('backplane_cache_hits_total', 'Fresh cache hits, by tier.', ['tier'], (s) => [
    [{ tier: 'l1' }, s.hits.l1],
    [{ tier: 'l2' }, s.hits.l2],
  ]);
  counter('backplane_cache_misses_total', 'Reads that found no usable value.', [], (s) => [[{}, s.misses]]);
  counter('backplane_cache_stale_hits_total', 'Reads answered with a stale value.', [], (s) => [[{}, s.staleHits]]);
  counter('backplane_cache_loads_total', 'Loader runs.', [], (s) => [[{}, s.loads]]);
  counter('backplane_cache_loader_errors_total', 'Loader runs that failed or timed out.', [], (s) => [
    [{}, s.loaderErrors],
  ]);
  counter('backplane_cache_redis_errors_total', 'L2 calls that failed (the cache failed open).', [], (s) => [
    [{}, s.redisErrors],
  ]);
  counter('backplane_cache_l1_evictions_total', 'L1 entries evicted to stay within its bounds.', [], (s) => [
    [{}, s.evictions],
  ]);
  gauge('backplane_cache_l1_entries', 'Entries in the L1.', [], (s) => [[{}, s.l1.entries]]);
  gauge('backplane_cache_l1_bytes', 'Encoded bytes of the values in the L1.', [], (s) => [[{}, s.l1.bytes]]);
  gauge('backplane_cache_circuit_state', 'L2 circuit breaker: 0 closed, 1 half-open, 2 open.', [], (s) => [
    [{}, CIRCUIT_VALUE[s.circuit]],
  ]);
  const quantiles = (summary: CacheStats['latency']['read']): Array<[Record<string, string>, number]> => [
    [{ quantile: '0.5' }, summary.p50 / 1000],
    [{ quantile: '0.95' }, summary.p95 / 1000],
    [{ quantile: '0.99' }, summary.p99 / 1000],
  ];
  gauge('backplane_cache_read_duration_seconds', 'Read latency percentiles over recent reads.', ['quantile'], (s) =>
    quantiles(s.latency.read),
  );
  gauge('backplane_cache_load_duration_seconds', 'Loader latency percentiles over recent loads.', ['quantile'], (s) =>
    quantiles(s.latency.load),
  );
}

/** prom-client calls one `collect` per metric; chain ours so several caches can share the metric. */
function addCollect<M extends Counter<string> | Gauge<string>>(metric: M, collect: (metric: M) => void): void {
  const holder = metric as unknown as { collect?: () => void | Promise<void> };
  const previous = holder.collect;
  holder.collect = async () => {
    await previous?.call(metric);
    collect(metric);
  };
}

import type { Upstream } from './upstream.js';

/** One point of the charts: rates over the interval since the previous sample. */
export interface HistoryPoint {
  /** End of the interval, ms since the epoch. */
  t: number;
  /** Reads served by the cache (any tier, stale included) over all reads; null without reads. */
  hitRate: number | null;
  /** Share of reads served by the in-process tier. */
  l1: number | null;
  /** Share of reads served by Redis (the shared tier). */
  l2: number | null;
  /** Cache reads in the interval. */
  reads: number;
  /** Jobs finished per minute over all queues; null when the service has no queues. */
  throughput: number | null;
}

interface Counters {
  t: number;
  l1: number;
  l2: number;
  stale: number;
  misses: number;
  finished: number | null;
  throughput: number | null;
}

/** Reads a number at a path of an object of unknown shape (the stats evolve; missing means 0). */
export function numberAt(value: unknown, ...path: string[]): number | undefined {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'number' && Number.isFinite(current) ? current : undefined;
}

interface QueueSummary {
  counts?: Record<string, number>;
  throughputPerMinute?: number;
}

export function queuesOf(body: unknown): QueueSummary[] {
  const queues = (body as { queues?: unknown } | null)?.queues;
  return Array.isArray(queues) ? (queues as QueueSummary[]) : [];
}

/**
 * Samples cache and queue counters on a timer and keeps an hour of interval rates in memory, so a
 * browser opened now still sees the last hour. The counters are cumulative; rates come from deltas.
 */
export class HistorySampler {
  private readonly points: HistoryPoint[] = [];
  private previous: Counters | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(point: HistoryPoint) => void>();
  private sampling = false;

  constructor(
    private readonly upstream: Upstream,
    private readonly intervalMs: number,
    private readonly keepMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  history(): HistoryPoint[] {
    return [...this.points];
  }

  onPoint(listener: (point: HistoryPoint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Takes one sample now; exposed so tests need not wait for the timer. */
  async sample(now = Date.now()): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const counters = await this.read(now);
      const previous = this.previous;
      this.previous = counters;
      if (previous === null) return;
      const point = rates(previous, counters);
      this.points.push(point);
      while (this.points.length > 0 && this.points[0]!.t < now - this.keepMs) this.points.shift();
      for (const listener of this.listeners) listener(point);
    } catch {
      // A failed sample leaves a gap in the chart; the next one carries on from the last good counters.
    } finally {
      this.sampling = false;
    }
  }

  private async read(now: number): Promise<Counters> {
    const [cache, queues] = await Promise.all([
      this.upstream.request('GET', '/cache/stats'),
      this.upstream.request('GET', '/queues'),
    ]);
    const stats = cache.status === 200 ? cache.body : undefined;
    const list = queues.status === 200 ? queuesOf(queues.body) : [];
    const hasQueues = queues.status === 200;
    return {
      t: now,
      l1: numberAt(stats, 'hits', 'l1') ?? 0,
      l2: numberAt(stats, 'hits', 'l2') ?? 0,
      stale: numberAt(stats, 'staleHits') ?? 0,
      misses: numberAt(stats, 'misses') ?? 0,
      finished: hasQueues
        ? list.reduce((sum, queue) => sum + (queue.counts?.completed ?? 0) + (queue.counts?.failed ?? 0), 0)
        : null,
      throughput: hasQueues
        ? list.some((queue) => typeof queue.throughputPerMinute === 'number')
          ? list.reduce((sum, queue) => sum + (queue.throughputPerMinute ?? 0), 0)
          : null
        : null,
    };
  }
}

function rates(previous: Counters, current: Counters): HistoryPoint {
  // Counters reset when the service restarts; a negative delta means "start over", not a negative rate.
  const delta = (a: number, b: number): number => Math.max(0, b - a);
  const l1 = delta(previous.l1, current.l1);
  const l2 = delta(previous.l2, current.l2);
  const stale = delta(previous.stale, current.stale);
  const reads = l1 + l2 + stale + delta(previous.misses, current.misses);
  const share = (part: number): number | null => (reads === 0 ? null : part / reads);
  let throughput = current.throughput;
  if (throughput === null && current.finished !== null && previous.finished !== null && current.t > previous.t) {
    throughput = (delta(previous.finished, current.finished) * 60_000) / (current.t - previous.t);
  }
  return { t: current.t, hitRate: share(l1 + l2 + stale), l1: share(l1), l2: share(l2), reads, throughput };
}

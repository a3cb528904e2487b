import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus collectors of the jobs component. Labels are queue names and states, never job ids. */
export interface JobsMetrics {
  enqueued(queue: string, count: number): void;
  finished(queue: string, state: string, seconds: number): void;
  stalled(queue: string, count: number): void;
}

export function createJobsMetrics(registry: Registry | undefined): JobsMetrics | undefined {
  if (!registry) return undefined;
  const enqueued =
    (registry.getSingleMetric('backplane_jobs_enqueued_total') as Counter<'queue'> | undefined) ??
    new Counter({
      name: 'backplane_jobs_enqueued_total',
      help: 'Jobs accepted by enqueue, per queue.',
      labelNames: ['queue'],
      registers: [registry],
    });
  const finished =
    (registry.getSingleMetric('backplane_jobs_attempt_duration_seconds') as Histogram<'queue' | 'state'> | undefined) ??
    new Histogram({
      name: 'backplane_jobs_attempt_duration_seconds',
      help: 'Duration of job attempts run by workers of this process, by queue and recorded state.',
      labelNames: ['queue', 'state'],
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60, 300],
      registers: [registry],
    });
  const stalled =
    (registry.getSingleMetric('backplane_jobs_stalled_total') as Counter<'queue'> | undefined) ??
    new Counter({
      name: 'backplane_jobs_stalled_total',
      help: 'Jobs whose lease expired (worker lost) and that this process handed back to waiting.',
      labelNames: ['queue'],
      registers: [registry],
    });
  return {
    stalled: (queue, count) => stalled.inc({ queue }, count),
    enqueued: (queue, count) => enqueued.inc({ queue }, count),
    finished: (queue, state, seconds) => finished.observe({ queue, state }, seconds),
  };
}

/** What the queue gauge reads when scraped: the store's queues and their counts by state. */
export interface QueueCountSource {
  listQueues(): Promise<string[]>;
  counts(queue: string): Promise<Record<string, number>>;
}

/** Queues read per scrape, at most: a scrape stays a few round trips however many queues there are. */
export const MAX_GAUGED_QUEUES = 200;

/**
 * `backplane_jobs_queue_jobs{queue,state}`: jobs per queue and state, read from the store when scraped,
 * so it counts every process's jobs (the counters above count this process's work only). A queue whose
 * counts cannot be read (Redis down) has no series in that scrape rather than stale ones, and the scrape
 * itself still succeeds; `backplane_redis_up` says why. One gauge per registry: while a `Jobs` holds it,
 * a second one on the same registry adds none. Returns what removes it (when its `Jobs` closes), if made.
 */
export function registerQueueGauge(registry: Registry | undefined, source: QueueCountSource): (() => void) | undefined {
  if (!registry || registry.getSingleMetric(QUEUE_GAUGE)) return undefined;
  const gauge = new Gauge({
    name: QUEUE_GAUGE,
    help: 'Jobs per queue and state (waiting, delayed, active, completed, failed, cancelled), read from the store when scraped.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const queues = await source.listQueues().catch(() => [] as string[]);
      const read = queues.slice(0, MAX_GAUGED_QUEUES);
      const counts = await Promise.all(read.map((queue) => source.counts(queue).catch(() => undefined)));
      this.reset();
      read.forEach((queue, index) => {
        for (const [state, count] of Object.entries(counts[index] ?? {})) this.set({ queue, state }, count);
      });
    },
  });
  return () => {
    if (registry.getSingleMetric(QUEUE_GAUGE) === gauge) registry.removeSingleMetric(QUEUE_GAUGE);
  };
}

const QUEUE_GAUGE = 'backplane_jobs_queue_jobs';

import { Counter, Histogram, type Registry } from 'prom-client';

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

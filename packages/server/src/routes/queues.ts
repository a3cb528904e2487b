import { BackplaneError, type Backplane, type JobEvent } from 'backplane';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../app.js';
import type { JobEventHub } from '../jobs/event-hub.js';
import { queueNames } from '../jobs/queue-names.js';

/** Completions per queue over the last minute, counted from the event stream this server reads. */
export class Throughput {
  private readonly finished = new Map<string, number[]>();

  constructor(hub: JobEventHub) {
    hub.onAny((event: JobEvent) => {
      if (event.type !== 'completed' && event.type !== 'failed') return;
      let times = this.finished.get(event.queue);
      if (!times) this.finished.set(event.queue, (times = []));
      times.push(Date.now());
      if (times.length > 100_000) times.splice(0, times.length - 100_000);
    });
  }

  perMinute(queue: string, now = Date.now()): number {
    const times = this.finished.get(queue);
    if (!times) return 0;
    const cutoff = now - 60_000;
    while (times.length > 0 && (times[0] ?? 0) < cutoff) times.shift();
    return times.length;
  }
}

export interface QueueRouteOptions extends RouteContext {
  hub: JobEventHub;
  throughput: Throughput;
}

const nameParams = z.object({
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[^{}\s]+$/),
});

async function describeQueue(backplane: Backplane, throughput: Throughput, name: string) {
  const [counts, paused] = await Promise.all([backplane.jobs.counts(name), backplane.jobs.isPaused(name)]);
  return { name, counts, throughputPerMinute: throughput.perMinute(name), paused };
}

/** Queues: counts by state, completions per minute, pause and resume, bulk retry and removal. */
export async function queueRoutes(app: FastifyInstance, options: QueueRouteOptions): Promise<void> {
  const { backplane, admin, throughput, hub } = options;
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/queues',
    {
      schema: {
        summary: 'Every queue the job store knows (from any process) with counts by state, throughput and paused flag',
      },
    },
    async () => {
      const names = await queueNames(backplane);
      for (const name of names) void hub.watchQueue(name).catch(() => undefined);
      return { queues: await Promise.all(names.map((name) => describeQueue(backplane, throughput, name))) };
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    typed.post(
      `/queues/:name/${action}`,
      {
        preHandler: admin,
        schema: {
          summary: `${action === 'pause' ? 'Stop' : 'Restart'} claiming jobs of a queue in every worker`,
          params: nameParams,
          security: [{ bearer: [] }],
        },
      },
      async (request) => {
        const { name } = request.params;
        if (action === 'pause') await backplane.jobs.pause(name);
        else await backplane.jobs.resume(name);
        return describeQueue(backplane, throughput, name);
      },
    );
  }

  const task = z.string().min(1).max(200).optional().describe('only the jobs of this task');

  typed.post(
    '/queues/:name/retry',
    {
      preHandler: admin,
      schema: {
        summary: 'Run again every failed (or cancelled) job of a queue, or those of one task',
        params: nameParams,
        querystring: z.object({ state: z.enum(['failed', 'cancelled']).default('failed'), task }),
        security: [{ bearer: [] }],
      },
    },
    async (request) => {
      const { name } = request.params;
      const { state, task: only } = request.query;
      const retried = await backplane.jobs.retryJobs(name, only === undefined ? { state } : { state, name: only });
      return { queue: name, state, retried };
    },
  );

  typed.delete(
    '/queues/:name/jobs',
    {
      preHandler: admin,
      schema: {
        summary: 'Delete every waiting, delayed, completed, failed or cancelled job of a queue, or those of one task',
        params: nameParams,
        querystring: z.object({ state: z.enum(['waiting', 'delayed', 'completed', 'failed', 'cancelled']), task }),
        security: [{ bearer: [] }],
      },
    },
    async (request) => {
      const { name } = request.params;
      const { state, task: only } = request.query;
      const removed = await backplane.jobs.removeJobs(name, only === undefined ? { state } : { state, name: only });
      return { queue: name, state, removed };
    },
  );

  typed.get(
    '/workers',
    { schema: { summary: 'Live workers of every process: host, pid, concurrency, running jobs, heartbeat' } },
    async () => {
      const workers = await backplane.jobs.listWorkers();
      return {
        workers: workers.map((worker) => ({
          id: worker.id,
          host: worker.host,
          pid: worker.pid,
          queues: worker.queues,
          concurrency: worker.concurrency,
          running: worker.running.length,
          runningJobs: worker.running,
          startedAt: worker.startedAt,
          lastHeartbeat: worker.lastHeartbeat,
        })),
      };
    },
  );
}

export function notFound(what: string): BackplaneError {
  return new BackplaneError('E_NOT_FOUND', what);
}

import type { Backplane, CheckResult, HealthCheck } from 'backplane';
import { queueNames } from './queue-names.js';

/**
 * Live workers and the backlog of every known queue. Jobs waiting with no live worker to run them
 * degrade the service: enqueues succeed, but nothing will happen to them.
 */
export function jobsHealthCheck(backplane: Backplane): HealthCheck {
  return async (): Promise<CheckResult> => {
    let workers;
    let counts;
    try {
      [workers, counts] = await Promise.all([
        backplane.jobs.listWorkers(),
        queueNames(backplane).then((names) =>
          Promise.all(names.map(async (name) => [name, await backplane.jobs.counts(name)] as const)),
        ),
      ]);
    } catch (error) {
      // The jobs Redis is down: its own check says so; jobs degrade, the process still serves.
      return { status: 'degraded', error: error instanceof Error ? error.message : String(error) };
    }
    const backlog: Record<string, { waiting: number; active: number; delayed: number }> = {};
    let waiting = 0;
    for (const [name, count] of counts) {
      backlog[name] = { waiting: count.waiting, active: count.active, delayed: count.delayed };
      waiting += count.waiting;
    }
    const status = waiting > 0 && workers.length === 0 ? 'degraded' : 'ok';
    return {
      status,
      workers: workers.length,
      backlog,
      ...(status === 'degraded' ? { error: `${waiting} jobs waiting and no live worker` } : {}),
    };
  };
}

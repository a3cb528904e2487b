import type { Backplane, Cache, JobRecord } from 'backplane';
import { FINAL_STATES, toJobJson, type JobJson } from './job-json.js';
import type { JobEventHub } from './event-hub.js';

/**
 * The render-tracker pattern: `GET /tasks/:id` reads the job through the cache, and every event of a
 * job refreshes its entry, so clients polling a running job every second cost no Redis reads between
 * events. Unknown ids are cached as null for a moment, so a 404 storm does not reach Redis either.
 */
export class JobStatusCache {
  private readonly cache: Cache;

  constructor(
    private readonly backplane: Backplane,
    hub: JobEventHub,
  ) {
    this.cache = backplane.cache.namespace('jobs:status');
    hub.onAny((event) => void this.refresh(event.jobId));
  }

  async get(id: string): Promise<JobJson | null> {
    return await this.cache.getOrSet<JobJson | null>(id, async () => this.load(id), {
      ttl: (job) => (job === null ? '1s' : FINAL_STATES.has(job.state) ? '30s' : '5s'),
    });
  }

  /** Replaces the entry with a fresh read (pre-warm) after an event. */
  async refresh(id: string): Promise<JobJson | null> {
    try {
      const job = await this.load(id);
      await this.cache.set(id, job, { ttl: job === null ? '1s' : FINAL_STATES.has(job.state) ? '30s' : '5s' });
      return job;
    } catch {
      await this.cache.delete(id).catch(() => undefined);
      return null;
    }
  }

  private async load(id: string): Promise<JobJson | null> {
    const job: JobRecord | undefined = await this.backplane.jobs.getJob(id);
    return job ? toJobJson(job) : null;
  }
}

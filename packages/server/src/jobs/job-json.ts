import type { JobRecord, JobState } from 'backplane';

/** The job as the HTTP API shows it: flat timestamps, explicit nulls, nothing internal. */
export interface JobJson {
  id: string;
  name: string;
  queue: string;
  state: JobState;
  data: unknown;
  result: unknown;
  error: { message: string; name?: string; code?: string; unrecoverable?: boolean } | null;
  attempts: number;
  maxAttempts: number;
  priority: number;
  progress: { percent: number; message?: string; data?: unknown } | null;
  group: string | null;
  workerId: string | null;
  cancelRequested: boolean;
  createdAt: number;
  runAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export const FINAL_STATES: ReadonlySet<JobState> = new Set(['completed', 'failed', 'cancelled']);

export function toJobJson(job: JobRecord): JobJson {
  return {
    id: job.id,
    name: job.name,
    queue: job.queue,
    state: job.state,
    data: job.data ?? null,
    result: job.result ?? null,
    error: job.error ?? null,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    priority: job.priority,
    progress: job.progress ?? null,
    group: job.group ?? null,
    workerId: job.workerId ?? null,
    cancelRequested: job.cancelRequested ?? false,
    createdAt: job.timestamps.createdAt,
    runAt: job.timestamps.runAt ?? null,
    startedAt: job.timestamps.startedAt ?? null,
    finishedAt: job.timestamps.finishedAt ?? null,
  };
}

import { abortAttempt, forceEnd, type Running } from './attempt.js';
import { JobAbortedError } from './errors.js';
import type { ClaimedJob, JobStore } from './store.js';

export interface HeldJobs {
  queue: string;
  /** Attempts of the queue running in this worker. */
  running: readonly Running[];
  /** The queue's prefetched jobs: a job whose lease was lost is taken out of this list. */
  prefetched: ClaimedJob[] | undefined;
  /** Whether `entry` still runs here (it may have ended while the renewal was on its way). */
  stillRunning: (entry: Running) => boolean;
  /** A cancel request recorded for one of the jobs. */
  onCancel: (localId: string) => void;
}

/**
 * Renews, in one store call, the leases of a queue's jobs that a worker holds. A job whose lease was
 * lost belongs to another worker now: its attempt is aborted and ended ('lost'), or, prefetched, it is
 * dropped unstarted. A cancel request the store reports goes to `onCancel`.
 */
export async function renewLeases(store: JobStore, leaseMs: number, held: HeldJobs): Promise<void> {
  const prefetched = [...(held.prefetched ?? [])];
  const jobs = [...held.running.map((entry) => entry.job), ...prefetched];
  if (jobs.length === 0) return;
  const statuses = await store.extend(
    held.queue,
    jobs.map((job) => ({ localId: job.localId, token: job.token })),
    leaseMs,
  );
  statuses.forEach((status, index) => {
    const job = jobs[index];
    if (!job) return;
    if (status === 2) held.onCancel(job.localId);
    if (status !== 0) return;
    const entry = held.running[index];
    if (entry) {
      if (!held.stillRunning(entry)) return;
      abortAttempt(entry, new JobAbortedError('E_JOB_LEASE_LOST', 'the lease on this job was lost'));
      forceEnd(entry, 'lost');
    } else {
      const at = held.prefetched?.indexOf(job) ?? -1;
      if (held.prefetched && at >= 0) held.prefetched.splice(at, 1);
    }
  });
}

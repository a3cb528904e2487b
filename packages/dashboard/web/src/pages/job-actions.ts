import { api, query } from '../api.js';
import type { Job } from '../types.js';

export const canCancel = (job: Job): boolean => ['waiting', 'delayed', 'active', 'spooled'].includes(job.state);
export const canRetry = (job: Job): boolean => ['failed', 'cancelled'].includes(job.state);
export const canPromote = (job: Job): boolean => job.state === 'delayed';

export async function cancelJob(id: string): Promise<void> {
  await api('DELETE', `/tasks/${encodeURIComponent(id)}`);
}

export async function retryJob(id: string): Promise<void> {
  await api('POST', `/tasks/${encodeURIComponent(id)}/retry`);
}

/** Runs a delayed job now. */
export async function promoteJob(id: string): Promise<void> {
  await api('POST', `/tasks/${encodeURIComponent(id)}/promote`);
}

/** Enqueues a job of one task; on success the page moves to the new job. */
export async function runTask(
  name: string,
  payload: unknown,
  options: Record<string, string | number | undefined>,
): Promise<string> {
  const { id } = await api<{ id: string }>('POST', `/tasks/${encodeURIComponent(name)}${query(options)}`, payload);
  location.hash = `#/jobs/${encodeURIComponent(id)}`;
  return id;
}

import type { Backplane } from 'backplane';

/**
 * The queues this server shows: every queue the job store has seen (from any process sharing it),
 * and 'default', the queue the API enqueues to when none is named, even before its first job.
 */
export async function queueNames(backplane: Backplane): Promise<string[]> {
  const names = new Set(['default', ...(await backplane.jobs.listQueues())]);
  return [...names].sort();
}

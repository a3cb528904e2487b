import { InvalidArgumentError } from '../errors.js';
import { checkInteger, checkQueueName, DEFAULT_QUEUE } from './options.js';
import { parseJobId, parseJson, toRecord } from './records.js';
import type { EnqueueSpool } from './spool.js';
import type { JobStore } from './store.js';
import type { JobErrorInfo, JobRecord, JobState, ListJobsOptions } from './types.js';

/** Reading jobs back: one job, its outcome, and pages of one state. */

export interface ListJobsResult {
  jobs: JobRecord[];
  /** Pass back as `cursor` for the next page; undefined on the last page. */
  nextCursor: string | undefined;
}

const LISTABLE: readonly string[] = ['waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled'];

/** What `waitForResult` needs of a job: its state, and its result or error (no payload read). */
export async function readOutcome(
  store: JobStore,
  spool: EnqueueSpool | undefined,
  id: string,
): Promise<Pick<JobRecord, 'state' | 'result' | 'error'> | undefined> {
  const { queue, localId } = parseJobId(id);
  if (spool?.find(queue, localId)) return { state: 'spooled' };
  const outcome = await store.getOutcome(queue, localId);
  if (!outcome) return undefined;
  const record: Pick<JobRecord, 'state' | 'result' | 'error'> = { state: outcome.s as JobState };
  if (outcome.r !== undefined) record.result = parseJson(outcome.r);
  if (outcome.e !== undefined) record.error = parseJson(outcome.e) as JobErrorInfo;
  return record;
}

export async function readJob(
  store: JobStore,
  spool: EnqueueSpool | undefined,
  id: string,
): Promise<JobRecord | undefined> {
  const { queue, localId } = parseJobId(id);
  const spooled = spool?.find(queue, localId);
  if (spooled) {
    const { job, spooledAt } = spooled;
    const fields: Record<string, string> = { n: job.name, d: job.data, s: 'spooled', t: String(spooledAt) };
    if (job.group !== '') fields.g = job.group;
    return toRecord(queue, { localId, fields });
  }
  const raw = await store.get(queue, localId);
  return raw ? toRecord(queue, raw) : undefined;
}

export async function listJobPage(store: JobStore, options: ListJobsOptions): Promise<ListJobsResult> {
  const queue = checkQueueName(options.queue ?? DEFAULT_QUEUE);
  const state = options.state ?? 'waiting';
  if (!LISTABLE.includes(state)) {
    throw new InvalidArgumentError('state', 'must be waiting, delayed, active, completed, failed or cancelled', state);
  }
  const limit = checkInteger(options.limit ?? 50, 'limit', 1, 1000);
  let offset = options.cursor === undefined ? 0 : Number(options.cursor);
  if (!Number.isInteger(offset) || offset < 0)
    throw new InvalidArgumentError('cursor', 'is not a cursor from listJobs', options.cursor);
  const jobs: JobRecord[] = [];
  // Filtering by name reads pages until the limit is met; the cursor is the offset reached.
  for (let pages = 0; jobs.length < limit && pages < 20; pages++) {
    const ids = await store.listIds(queue, state, offset, limit - jobs.length);
    const raws = await store.getMany(queue, ids);
    offset += ids.length;
    for (const raw of raws) {
      if (!raw) continue;
      const record = toRecord(queue, raw);
      if (options.name === undefined || record.name === options.name) jobs.push(record);
    }
    if (ids.length === 0 || options.name === undefined) break;
  }
  const more = (await store.listIds(queue, state, offset, 1)).length > 0;
  return { jobs, nextCursor: more ? String(offset) : undefined };
}

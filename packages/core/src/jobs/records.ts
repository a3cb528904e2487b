import { randomBytes } from 'node:crypto';
import { BackplaneError } from '../errors.js';
import type { RawEvent, RawJob } from './store.js';
import type { JobErrorInfo, JobEvent, JobProgress, JobRecord, JobState } from './types.js';

/**
 * Public job ids are `<queue>:<local id>`, so any process can find a job's queue (and its Redis slot)
 * from the id alone. Local ids are a random per-process prefix plus a counter: unique without a round
 * trip, short (bytes per job matter), and never containing ':'.
 */
const processPrefix = randomBytes(6).toString('base64url');
let counter = 0;

export function newLocalId(): string {
  counter += 1;
  return processPrefix + counter.toString(36);
}

export function publicId(queue: string, localId: string): string {
  return `${queue}:${localId}`;
}

export function parseJobId(id: unknown): { queue: string; localId: string } {
  const at = typeof id === 'string' ? id.lastIndexOf(':') : -1;
  if (typeof id !== 'string' || at <= 0 || at === id.length - 1) {
    throw new BackplaneError('E_JOB_NOT_FOUND', `no job with id ${JSON.stringify(id)}`, { details: { id } });
  }
  return { queue: id.slice(0, at), localId: id.slice(at + 1) };
}

export function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const num = (text: string | undefined): number | undefined => (text === undefined ? undefined : Number(text));

export function toRecord(queue: string, raw: RawJob): JobRecord {
  const f = raw.fields;
  const record: JobRecord = {
    id: publicId(queue, raw.localId),
    name: f.n ?? '',
    queue,
    state: (f.s ?? 'waiting') as JobState,
    data: parseJson(f.d),
    attempts: Number(f.at ?? 0),
    maxAttempts: Number(f.ma ?? 1),
    priority: Number(f.pr ?? 0),
    timestamps: { createdAt: Number(f.t ?? 0) },
  };
  if (f.r !== undefined) record.result = parseJson(f.r);
  if (f.e !== undefined) record.error = parseJson(f.e) as JobErrorInfo;
  if (f.pg !== undefined) record.progress = parseJson(f.pg) as JobProgress;
  if (f.g !== undefined) record.group = f.g;
  if (f.ik !== undefined) record.idempotencyKey = f.ik;
  if (f.w !== undefined) record.workerId = f.w;
  if (f.cx !== undefined && record.state === 'active') record.cancelRequested = true;
  const runAt = num(f.ra);
  const startedAt = num(f.st);
  const finishedAt = num(f.ft);
  if (runAt !== undefined) record.timestamps.runAt = runAt;
  if (startedAt !== undefined) record.timestamps.startedAt = startedAt;
  if (finishedAt !== undefined) record.timestamps.finishedAt = finishedAt;
  return record;
}

export function toEvent(queue: string, raw: RawEvent): JobEvent {
  const event: JobEvent = { id: raw.id, jobId: publicId(queue, raw.localId), queue, type: raw.type };
  if (raw.data !== undefined) event.data = parseJson(raw.data);
  return event;
}

export const TERMINAL_EVENTS = new Set(['completed', 'failed', 'cancelled', 'removed']);

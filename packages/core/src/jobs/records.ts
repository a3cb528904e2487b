import { randomBytes } from 'node:crypto';
import { BackplaneError } from '../errors.js';
import type { RawEvent, RawJob } from './store.js';
import type { JobErrorInfo, JobEvent, JobProgress, JobRecord, JobState } from './types.js';

/**
 * Public job ids are `<queue>:<local id>`, so any process can find a job's queue (and its Redis slot)
 * from the id alone. Local ids are a random prefix plus a counter: unique without a round trip, short
 * (bytes per job matter), and never containing ':'. Each `Jobs` instance has a source of its own, so
 * it can tell the jobs it created, and in which order, from their ids alone.
 */
export class LocalIdSource {
  private readonly prefix = randomBytes(6).toString('base64url');
  private counter = 0;

  next(): string {
    this.counter += 1;
    return this.prefix + this.counter.toString(36);
  }

  /** The number the next id will carry. */
  get upcoming(): number {
    return this.counter + 1;
  }

  /** The number in an id made by this source; undefined for any other id. */
  numberOf(localId: string): number | undefined {
    if (!localId.startsWith(this.prefix)) return undefined;
    const value = parseInt(localId.slice(this.prefix.length), 36);
    return Number.isSafeInteger(value) ? value : undefined;
  }
}

const processIds = new LocalIdSource();

export function newLocalId(): string {
  return processIds.next();
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

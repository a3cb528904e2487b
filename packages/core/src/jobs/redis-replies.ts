// What the Redis job store sends to its scripts and reads back from them and from streams.
import type { ClaimBatch, ClaimedJob, ClaimRequest, RawEvent } from './store.js';

/** A stream entry as XREAD / XREVRANGE give it. */
export function toRawEvent([id, fields]: [string, string[]]): RawEvent {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
  return { id, localId: map.j ?? '', type: map.e ?? '', data: map.d };
}

export function pushClaimArgs(argv: Array<string | number>, request: ClaimRequest): void {
  argv.push(
    request.count,
    request.workerId,
    request.leaseMs,
    request.rateLimit?.max ?? 0,
    request.rateLimit?.windowMs ?? 0,
  );
}

const FIELDS_PER_JOB = 4;

/**
 * A claim reply (see `claim` in lua/jobs/includes/claim.lua): the next time worth claiming, then 4
 * items per job: `id|token|attempt|max attempts|timeout|created at`, the task name, the data, and ''
 * or a JSON object of the rarer fields (b: backoff, g: group). Four items decode in about half the
 * time of one per field. A name or data that is not a string (a job hash gone meanwhile) reads as
 * empty.
 */
export function parseClaim(reply: readonly unknown[], registered?: boolean): ClaimBatch {
  const nextAt = Number(reply[0] ?? -1);
  const jobs: ClaimedJob[] = [];
  for (let i = 1; i + FIELDS_PER_JOB - 1 < reply.length; i += FIELDS_PER_JOB) {
    const [localId = '', token = '', attempt, maxAttempts, timeoutMs, createdAt] = String(reply[i]).split('|');
    const extra = reply[i + 3];
    const rare = typeof extra === 'string' && extra !== '' ? (JSON.parse(extra) as { b?: string; g?: string }) : {};
    jobs.push({
      localId,
      token,
      attempt: Number(attempt),
      name: text(reply[i + 1]) ?? '',
      data: text(reply[i + 2]) ?? 'null',
      maxAttempts: maxAttempts ? Number(maxAttempts) : 1,
      backoff: rare.b ?? '',
      timeoutMs: timeoutMs ? Number(timeoutMs) : 0,
      createdAt: createdAt ? Number(createdAt) : 0,
      group: rare.g,
    });
  }
  return registered === undefined ? { jobs, nextAt } : { jobs, nextAt, registered };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

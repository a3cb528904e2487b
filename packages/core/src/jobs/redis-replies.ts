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

const FIELDS_PER_JOB = 10;

/**
 * A claim reply (see lua/jobs/claim-1.lua): the next time worth claiming, then 10 fields per job. Absent
 * fields are nil from a script reply and false from a hand-off (cjson).
 */
export function parseClaim(reply: readonly unknown[], registered?: boolean): ClaimBatch {
  const nextAt = Number(reply[0] ?? -1);
  const jobs: ClaimedJob[] = [];
  for (let i = 1; i + FIELDS_PER_JOB - 1 < reply.length; i += FIELDS_PER_JOB) {
    jobs.push({
      localId: text(reply[i]) ?? '',
      token: String(reply[i + 1]),
      attempt: Number(reply[i + 2]),
      name: text(reply[i + 3]) ?? '',
      data: text(reply[i + 4]) ?? 'null',
      maxAttempts: Number(text(reply[i + 5]) ?? 1),
      backoff: text(reply[i + 6]) ?? '',
      timeoutMs: Number(text(reply[i + 7]) ?? 0),
      createdAt: Number(text(reply[i + 8]) ?? 0),
      group: text(reply[i + 9]),
    });
  }
  return registered === undefined ? { jobs, nextAt } : { jobs, nextAt, registered };
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

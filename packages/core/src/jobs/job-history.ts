// A job's past events, read back from its queue's capped event stream.
import { BATCH, compareEventIds } from './event-ids.js';
import { checkInteger } from './options.js';
import { parseJobId, TERMINAL_EVENTS, toEvent } from './records.js';
import type { JobStore, RawEvent } from './store.js';
import type { JobEvent } from './types.js';

export interface GetHistoryOptions {
  /** The most events returned, the newest kept (1–1000, default 200). */
  limit?: number;
}

export interface JobHistory {
  /** The job's events, oldest first. An event's id starts with the time it happened, in ms. */
  events: JobEvent[];
  /** True when no event of the job is left out. */
  complete: boolean;
  /**
   * Why some are left out: `trimmed` — the stream, capped at `eventsMaxLength` per queue, no longer
   * holds the job's earliest events; `limit` — the job has more than `limit` events (the oldest are left
   * out); `scanned` — the stream past the job's creation is longer than one read may scan.
   */
  missing?: 'trimmed' | 'limit' | 'scanned';
}

/** Stream entries one history read looks at, at most: a bound on its cost whatever `eventsMaxLength` is. */
export const HISTORY_SCAN_MAX = 50_000;

const FINAL_STATES = new Set(['completed', 'failed', 'cancelled']);

/**
 * Reads the stream from the job's creation forward and keeps the job's own events. The scan ends at the
 * end of the stream, or, for a finished job, at the final event that matches its finish time (later
 * events of the queue cannot be the job's, unless it is run again meanwhile). Undefined: no such job.
 */
export async function readJobHistory(
  store: JobStore,
  spooled: (queue: string, localId: string) => boolean,
  id: string,
  options: GetHistoryOptions,
): Promise<JobHistory | undefined> {
  const limit = checkInteger(options.limit ?? 200, 'limit', 1, 1000);
  const { queue, localId } = parseJobId(id);
  // A spooled job has not reached the store: nothing has happened to it that the stream could hold.
  if (spooled(queue, localId)) return { events: [], complete: true };
  const job = await store.get(queue, localId);
  if (!job) return undefined;
  const createdMs = Number(job.fields.t);
  const finishedMs = FINAL_STATES.has(job.fields.s ?? '') && job.fields.ft ? Number(job.fields.ft) : undefined;
  // Event ids and the job's times come from one clock (Redis' on Redis), so the job's first event is
  // not older than its creation time.
  const startId = Number.isFinite(createdMs) && createdMs > 0 ? `${createdMs - 1}-0` : '0-0';
  const [oldest] = await store.readEvents(queue, '0-0', 1, 0);

  // Raw until the end, so an event left out for the limit is never parsed.
  const kept: RawEvent[] = [];
  let firstId: string | undefined;
  let dropped = 0;
  let scanned = 0;
  let after = startId;
  let ended = false;
  while (!ended && scanned < HISTORY_SCAN_MAX) {
    const batch = await store.readEvents(queue, after, BATCH, 0);
    scanned += batch.length;
    for (const raw of batch) {
      after = raw.id;
      if (raw.localId !== localId) continue;
      firstId ??= raw.id;
      kept.push(raw);
      if (kept.length > limit) {
        kept.shift();
        dropped++;
      }
      if (
        finishedMs !== undefined &&
        TERMINAL_EVENTS.has(raw.type) &&
        compareEventIds(raw.id, `${finishedMs}-0`) >= 0
      ) {
        ended = true;
        break;
      }
    }
    if (batch.length < BATCH) ended = true;
  }

  // The stream starts after the job was made, and not with the job's own first event: trimmed since.
  const trimmed = oldest !== undefined && compareEventIds(oldest.id, `${createdMs}-0`) > 0 && firstId !== oldest.id;
  const events = kept.map((raw) => toEvent(queue, raw));
  const missing = trimmed ? 'trimmed' : dropped > 0 ? 'limit' : !ended ? 'scanned' : undefined;
  return missing ? { events, complete: false, missing } : { events, complete: true };
}

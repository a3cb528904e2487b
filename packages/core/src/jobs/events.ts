// A queue's event stream, read by id: resumable readers, and the search for a recent final event.
import type { Logger } from '../logger.js';
import { BATCH, compareEventIds, linkSignals, sleep } from './event-ids.js';
import type { EventTails } from './event-tail.js';
import { toEvent, TERMINAL_EVENTS } from './records.js';
import type { JobStore, RawEvent } from './store.js';
import type { JobEvent } from './types.js';

interface ReadOptions {
  /** Exclusive; undefined: only events from now on. Checked by the caller (checkLastEventId). */
  lastEventId: string | undefined;
  /** Reading stops when any of these aborts. */
  signals: ReadonlyArray<AbortSignal | undefined>;
  logger: Logger;
}

/**
 * Reads a queue's events after `lastEventId` until the signal aborts; with `localId`, only that job's.
 * New events come from the queue's shared reader (EventTails); what lies between `lastEventId` and the
 * moment of subscribing is read from the stream first, so a reconnecting reader misses nothing the
 * capped stream still holds and sees nothing twice.
 */
async function* readEvents(
  store: JobStore,
  tails: EventTails,
  queue: string,
  localId: string | undefined,
  options: ReadOptions,
): AsyncGenerator<RawEvent> {
  const { signal, dispose } = linkSignals(options.signals);
  try {
    yield* readLinked(store, tails, queue, localId, options.lastEventId, signal, options.logger);
  } finally {
    dispose();
  }
}

async function* readLinked(
  store: JobStore,
  tails: EventTails,
  queue: string,
  localId: string | undefined,
  lastEventId: string | undefined,
  signal: AbortSignal,
  logger: Logger,
): AsyncGenerator<RawEvent> {
  let lastId = lastEventId;
  while (!signal.aborted) {
    const subscription = tails.subscribe(queue, localId);
    try {
      try {
        await subscription.ready;
      } catch (error) {
        logger.warn({ err: (error as Error).message, queue }, 'jobs: reading events failed; retrying');
        await sleep(500);
        continue;
      }
      const from = subscription.from as string;
      lastId ??= from;
      // The events up to `from` are in the stream only; the subscription brings every one after it.
      while (compareEventIds(lastId, from) < 0 && !signal.aborted) {
        let batch: RawEvent[];
        try {
          batch = await store.readEvents(queue, lastId, BATCH, 0);
        } catch (error) {
          logger.warn({ err: (error as Error).message, queue }, 'jobs: reading events failed; retrying');
          await sleep(500);
          continue;
        }
        let caughtUp = batch.length < BATCH;
        for (const raw of batch) {
          if (compareEventIds(raw.id, from) > 0) {
            caughtUp = true;
            break;
          }
          lastId = raw.id;
          if (localId === undefined || raw.localId === localId) yield raw;
        }
        if (caughtUp) break;
      }
      for (;;) {
        const raw = await subscription.next(signal);
        // Cut loose for falling behind (or the reader stopped): read on from the stream, then subscribe again.
        if (raw === undefined || raw === 'lagged') break;
        if (compareEventIds(raw.id, lastId) <= 0) continue;
        lastId = raw.id;
        yield raw;
      }
    } finally {
      subscription.close();
    }
  }
}

/** Every event of a queue after `lastEventId` (default: only new ones) until the signal aborts. */
export async function* readQueueEvents(
  store: JobStore,
  tails: EventTails,
  queue: string,
  options: ReadOptions,
): AsyncGenerator<JobEvent> {
  for await (const raw of readEvents(store, tails, queue, undefined, options)) yield toEvent(queue, raw);
}

/** The events of one job, ending after its terminal event (completed, failed, cancelled, removed). */
export async function* readJobEvents(
  store: JobStore,
  tails: EventTails,
  queue: string,
  localId: string,
  options: ReadOptions,
): AsyncGenerator<JobEvent> {
  for await (const raw of readEvents(store, tails, queue, localId, options)) {
    yield toEvent(queue, raw);
    if (TERMINAL_EVENTS.has(raw.type)) return;
  }
}

/**
 * The final event of a job that ended within the last `lookbackMs` (event ids are millisecond times,
 * on both backends), reading newest first (a job just ended is near the end, however busy the queue)
 * at most `maxEvents`; undefined when none is found.
 */
export async function findRecentFinalEvent(
  store: JobStore,
  queue: string,
  id: string,
  lookbackMs = 60_000,
  maxEvents = 20_000,
): Promise<JobEvent | undefined> {
  const sinceId = `${Math.max(0, Date.now() - lookbackMs)}-0`;
  let beforeId: string | undefined;
  for (let read = 0; read < maxEvents;) {
    const batch = await store.readEventsBackward(queue, beforeId, sinceId, BATCH);
    for (const raw of batch) {
      const event = toEvent(queue, raw);
      if (event.jobId === id && TERMINAL_EVENTS.has(event.type)) return event;
      beforeId = raw.id;
    }
    read += batch.length;
    if (batch.length < BATCH) return undefined;
  }
  return undefined;
}

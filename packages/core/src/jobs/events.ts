// A queue's event stream, read by id: resumable readers, and the search for a recent final event.
import type { Logger } from '../logger.js';
import { toEvent, TERMINAL_EVENTS } from './records.js';
import type { JobStore } from './store.js';
import type { JobEvent } from './types.js';

export const BLOCK_MS = 2000;
export const BATCH = 500;
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Reads a queue's event stream from `lastEventId` (exclusive; default: only new events) until the
 * signal aborts. A reconnecting reader passes the id of the last event it saw and misses nothing the
 * capped stream still holds.
 */
export async function* readQueueEvents(
  store: JobStore,
  queue: string,
  options: { lastEventId?: string | undefined; signal?: AbortSignal | undefined; logger: Logger },
): AsyncGenerator<JobEvent> {
  const signal = options.signal ?? new AbortController().signal;
  let lastId = options.lastEventId ?? (await store.lastEventId(queue));
  while (!signal.aborted) {
    let batch;
    try {
      batch = await store.readEvents(queue, lastId, BATCH, BLOCK_MS, signal);
    } catch (error) {
      options.logger.warn({ err: (error as Error).message, queue }, 'jobs: reading events failed; retrying');
      await sleep(500);
      continue;
    }
    for (const raw of batch) {
      lastId = raw.id;
      yield toEvent(queue, raw);
    }
  }
}

/** The events of one job, ending after its terminal event (completed, failed, cancelled, removed). */
export async function* readJobEvents(
  store: JobStore,
  queue: string,
  jobId: string,
  options: { lastEventId?: string | undefined; signal?: AbortSignal | undefined; logger: Logger },
): AsyncGenerator<JobEvent> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const event of readQueueEvents(store, queue, { ...options, signal: controller.signal })) {
      if (event.jobId !== jobId) continue;
      yield event;
      if (TERMINAL_EVENTS.has(event.type)) return;
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    controller.abort();
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

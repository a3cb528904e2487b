import { InvalidArgumentError } from '../errors.js';

// Reading a queue's event stream: batch size, how long one read blocks, and the order of event ids.

export const BLOCK_MS = 2000;
export const BATCH = 500;
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** A stream id as Redis writes it (`<ms>-<seq>`), or the shorter forms a reader may resume from. */
const EVENT_ID = /^\d{1,16}(-\d{1,20})?$/;

/**
 * A `lastEventId` from a caller (an SSE client's Last-Event-ID, say): undefined or '$' mean "only new
 * events"; anything else must be an event id, or the read would fail on every retry.
 */
export function checkLastEventId(lastEventId: unknown): string | undefined {
  if (lastEventId === undefined || lastEventId === '$') return undefined;
  if (typeof lastEventId !== 'string' || !EVENT_ID.test(lastEventId)) {
    throw new InvalidArgumentError(
      'lastEventId',
      "must be an event id like '1700000000000-0', or '0' for every event kept",
      lastEventId,
    );
  }
  return lastEventId;
}

/** Orders stream ids `ms-seq` (and bare `ms`, as `ms-0`). */
export function compareEventIds(a: string, b: string): number {
  const aDash = a.indexOf('-');
  const bDash = b.indexOf('-');
  const aMs = Number(aDash < 0 ? a : a.slice(0, aDash));
  const bMs = Number(bDash < 0 ? b : b.slice(0, bDash));
  if (aMs !== bMs) return aMs - bMs;
  return (aDash < 0 ? 0 : Number(a.slice(aDash + 1))) - (bDash < 0 ? 0 : Number(b.slice(bDash + 1)));
}

/**
 * One signal that aborts when any of `signals` does, holding each source through a listener of its own.
 * (AbortSignal.any holds its sources weakly: in Node 20 an `AbortSignal.timeout(ms)` passed to it, and
 * to nothing else, can be garbage-collected and never fire, so a reader given it never ended.)
 * `dispose` removes the listeners.
 */
export function linkSignals(signals: ReadonlyArray<AbortSignal | undefined>): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const controller = new AbortController();
  const sources = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  const abort = (): void => controller.abort();
  const dispose = (): void => {
    for (const source of sources) source.removeEventListener('abort', abort);
  };
  if (sources.some((source) => source.aborted)) controller.abort();
  else for (const source of sources) source.addEventListener('abort', abort, { once: true });
  return { signal: controller.signal, dispose };
}

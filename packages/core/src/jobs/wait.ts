import { BackplaneError } from '../errors.js';
import { JobFailedError } from './errors.js';
import type { EventHub } from './event-hub.js';
import { TERMINAL_EVENTS } from './records.js';
import type { JobErrorInfo, JobEvent, JobRecord, JobState } from './types.js';

/** How a waiter looks up a job it cannot count on hearing the end of. */
export interface JobLookup {
  /** What a waiter needs of the job (undefined: no such job). */
  outcome: () => Promise<Pick<JobRecord, 'state' | 'result' | 'error'> | undefined>;
  /** A recently removed job's final event, from the stream. */
  recentFinalEvent: () => Promise<JobEvent | undefined>;
}

/**
 * Resolves with a job's result: registers on the hub first, then looks at the job, so a completion
 * can fall neither before the look nor between the look and the subscription.
 */
export function waitOnHub<TResult>(hub: EventHub, id: string, timeoutMs: number, lookup: JobLookup): Promise<TResult> {
  if (hub.ready) {
    const early = hub.takeEarly(id.slice(id.lastIndexOf(':') + 1));
    if (early) return new Promise<TResult>((resolve) => resolve(finalOutcome<TResult>(id, early)));
    if (early === null) return waitForFinalEvent<TResult>(hub, id, timeoutMs);
  }
  return waitReadingFirst<TResult>(hub, id, timeoutMs, lookup);
}

/**
 * The common case, kept small (no async function): a job the hub covers, not ended yet; its final event
 * comes to the listener.
 */
function waitForFinalEvent<TResult>(hub: EventHub, id: string, timeoutMs: number): Promise<TResult> {
  return new Promise<TResult>((resolve, reject) => {
    const end = (event: JobEvent | undefined): void => {
      hub.deadlines.remove(deadline);
      unlisten();
      if (!event) {
        reject(new BackplaneError('E_TIMEOUT', `job ${id} did not finish within ${timeoutMs} ms`, { details: { id } }));
        return;
      }
      try {
        resolve(finalOutcome<TResult>(id, event));
      } catch (error) {
        // finalOutcome throws only its own errors (a failed, cancelled or removed job).
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const deadline = { at: Date.now() + timeoutMs, expire: () => end(undefined) };
    const unlisten = hub.listenNow(id, (event) => {
      if (TERMINAL_EVENTS.has(event.type)) end(event);
    });
    hub.deadlines.add(deadline);
  });
}

async function waitReadingFirst<TResult>(
  hub: EventHub,
  id: string,
  timeoutMs: number,
  lookup: JobLookup,
): Promise<TResult> {
  let settle!: (outcome: JobEvent | 'timeout') => void;
  const finished = new Promise<JobEvent | 'timeout'>((resolve) => (settle = resolve));
  const listener = (event: JobEvent): void => {
    if (TERMINAL_EVENTS.has(event.type)) settle(event);
  };
  const unlisten = hub.ready ? hub.listenNow(id, listener) : await hub.listen(id, listener);
  const deadline = { at: Date.now() + timeoutMs, expire: () => settle('timeout') };
  try {
    const early = hub.takeEarly(id.slice(id.lastIndexOf(':') + 1));
    if (early) return finalOutcome<TResult>(id, early);
    // A job the hub covers (early === null) needs no read: its end is still to come, to the listener.
    if (early === undefined) {
      const job = await lookup.outcome();
      if (!job) {
        // A job kept for no time (retention 0) may have ended before this waiter listened: its final
        // event, which carries the outcome, is still in the stream.
        const ended = await lookup.recentFinalEvent();
        if (!ended) throw jobNotFound(id);
        return finalOutcome<TResult>(id, ended);
      }
      if (job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled') {
        return outcomeOf<TResult>(id, job.state, job.result, job.error);
      }
    }
    hub.deadlines.add(deadline);
    const event = await finished;
    if (event === 'timeout') {
      throw new BackplaneError('E_TIMEOUT', `job ${id} did not finish within ${timeoutMs} ms`, { details: { id } });
    }
    // The final event carries the result or error, so no further read is needed (and a job kept for
    // no time at all still reports its result).
    return finalOutcome<TResult>(id, event);
  } finally {
    hub.deadlines.remove(deadline);
    unlisten();
  }
}

function finalOutcome<TResult>(id: string, event: JobEvent): TResult {
  if (event.type === 'removed') throw jobNotFound(id);
  return outcomeOf<TResult>(id, event.type as JobState, event.data, event.data as JobErrorInfo | undefined);
}

function outcomeOf<TResult>(id: string, state: JobState, result: unknown, error: JobErrorInfo | undefined): TResult {
  if (state === 'completed') return result as TResult;
  throw new JobFailedError(id, error ?? { message: state }, state === 'cancelled');
}

export function jobNotFound(id: string): BackplaneError {
  return new BackplaneError('E_JOB_NOT_FOUND', `no job with id ${JSON.stringify(id)}`, { details: { id } });
}

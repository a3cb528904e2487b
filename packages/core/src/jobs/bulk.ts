import { InvalidArgumentError } from '../errors.js';
import type { BulkAction, BulkState, JobStore } from './store.js';

/** Jobs looked at per store call: a script call stays short, so Redis is never held for long. */
const STEP = 200;

export interface RetryJobsOptions {
  /** Which jobs run again. @default 'failed' */
  state?: 'failed' | 'cancelled';
  /** Only the jobs of this task. */
  name?: string;
}

/** The states `removeJobs` empties: all but active (cancel running jobs instead). */
export type RemovableState = BulkState | 'waiting';

export interface RemoveJobsOptions {
  /** Which jobs are deleted: waiting, delayed or finished ones. Active jobs are not removed (cancel them). */
  state: RemovableState;
  /** Only the jobs of this task. */
  name?: string;
}

const REMOVABLE: readonly RemovableState[] = ['waiting', 'delayed', 'completed', 'failed', 'cancelled'];

export function checkRetryJobs(options: unknown): { state: BulkState; name: string | undefined } {
  const { state = 'failed', name } = checkObject(options);
  if (state !== 'failed' && state !== 'cancelled') {
    throw new InvalidArgumentError('options.state', "must be 'failed' or 'cancelled'", state);
  }
  return { state, name: checkName(name) };
}

export function checkRemoveJobs(options: unknown): { state: RemovableState; name: string | undefined } {
  const { state, name } = checkObject(options);
  if (!REMOVABLE.includes(state as RemovableState)) {
    throw new InvalidArgumentError(
      'options.state',
      "must be 'waiting', 'delayed', 'completed', 'failed' or 'cancelled' (active jobs are cancelled, not removed)",
      state,
    );
  }
  return { state: state as RemovableState, name: checkName(name) };
}

/**
 * Retries or removes, page by page, the jobs of one state (of one task, or all). Only as many jobs as
 * the state held when the call began are looked at, so jobs that keep arriving (a steady stream of
 * failures) cannot keep it going for ever. Returns how many jobs were retried or removed.
 */
export async function changeJobs(
  store: JobStore,
  queue: string,
  action: BulkAction,
  state: RemovableState,
  name: string | undefined,
): Promise<number> {
  let budget = (await store.counts(queue))[state];
  let offset = 0;
  let changed = 0;
  while (budget > 0) {
    const count = Math.min(STEP, budget);
    // Waiting jobs sit in several indexes (plain, prioritized, per group): listed here, page by page.
    const step =
      state === 'waiting'
        ? await store.removeWaiting(queue, await store.listIds(queue, 'waiting', offset, count), name)
        : await store.changeMany(queue, action, state, name, offset, count);
    if (step.scanned === 0) break;
    changed += step.changed;
    budget -= step.scanned;
    // Changed and dropped jobs left the state's index; the rest (other tasks) stay before the next page.
    // (Jobs that workers claim meanwhile shift a waiting page: pause the queue for an exact removal.)
    offset += step.scanned - step.changed - step.dropped;
  }
  return changed;
}

function checkObject(options: unknown): { state?: unknown; name?: unknown } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', 'must be an object', options);
  }
  return options;
}

function checkName(name: unknown): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
    throw new InvalidArgumentError(
      'options.name',
      'must be a task name (a non-empty string of at most 200 characters)',
      name,
    );
  }
  return name;
}

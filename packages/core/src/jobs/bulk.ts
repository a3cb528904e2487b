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

export interface RemoveJobsOptions {
  /** Which jobs are deleted: finished ones, or delayed ones not yet due. Waiting and active jobs are not removed in bulk. */
  state: BulkState;
  /** Only the jobs of this task. */
  name?: string;
}

const REMOVABLE: readonly BulkState[] = ['delayed', 'completed', 'failed', 'cancelled'];

export function checkRetryJobs(options: unknown): { state: BulkState; name: string | undefined } {
  const { state = 'failed', name } = checkObject(options);
  if (state !== 'failed' && state !== 'cancelled') {
    throw new InvalidArgumentError('options.state', "must be 'failed' or 'cancelled'", state);
  }
  return { state, name: checkName(name) };
}

export function checkRemoveJobs(options: unknown): { state: BulkState; name: string | undefined } {
  const { state, name } = checkObject(options);
  if (!REMOVABLE.includes(state as BulkState)) {
    throw new InvalidArgumentError(
      'options.state',
      "must be 'delayed', 'completed', 'failed' or 'cancelled' (waiting and active jobs are not removed in bulk)",
      state,
    );
  }
  return { state: state as BulkState, name: checkName(name) };
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
  state: BulkState,
  name: string | undefined,
): Promise<number> {
  let budget = (await store.counts(queue))[state];
  let offset = 0;
  let changed = 0;
  while (budget > 0) {
    const step = await store.changeMany(queue, action, state, name, offset, Math.min(STEP, budget));
    if (step.scanned === 0) break;
    changed += step.changed;
    budget -= step.scanned;
    // Changed and dropped jobs left the state's index; the rest (other tasks) stay before the next page.
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

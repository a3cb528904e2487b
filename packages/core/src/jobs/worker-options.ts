import { hostname } from 'node:os';
import { InvalidArgumentError } from '../errors.js';
import { toMilliseconds, type Duration } from '../util/duration.js';
import { checkQueueName, DEFAULT_QUEUE } from './options.js';
import { newLocalId } from './records.js';
import type { ClaimRequest } from './store.js';

export interface WorkerOptions {
  /** Queues to take jobs from. @default ['default'] */
  queues?: string[];
  /** Jobs run at the same time, over all queues. @default 10 */
  concurrency?: number;
  /** How long a claim holds a job without a heartbeat; a crashed worker's jobs return after it. @default 30000 */
  lease?: Duration;
  /** How often leases are renewed and the registry entry refreshed. @default lease / 3 */
  heartbeat?: Duration;
  /** How often stalled leases are recovered and retention applied. @default 5000 */
  maintenance?: Duration;
  /** Longest sleep when a queue is empty (new work wakes the worker sooner). @default 5000 */
  idleWait?: Duration;
  /** At most `max` jobs claimed per `duration`, per queue, over all workers. */
  rateLimit?: { max: number; duration: Duration };
  /** Grace `close()` gives running jobs before handing them back. @default 10000 */
  shutdownGrace?: Duration;
  /**
   * Jobs claimed ahead per queue, so a slot that frees starts the next job at once while Redis records
   * the last outcome. 'auto' holds up to 2 × `concurrency` jobs while attempts average 10 ms or less (a
   * prefetched job then waits a few ms at most) and none otherwise, so long jobs stay free for other
   * workers. Prefetched jobs are active and leased like running ones. @default 'auto'
   */
  prefetch?: number | 'auto';
  /** @default a random id */
  id?: string;
}

/** A worker's options, checked, with every default filled in. */
export interface WorkerSettings {
  queues: readonly string[];
  concurrency: number;
  leaseMs: number;
  heartbeatMs: number;
  maintenanceMs: number;
  idleWaitMs: number;
  shutdownGraceMs: number;
  rateLimit: ClaimRequest['rateLimit'];
  prefetch: number | 'auto';
  id: string;
}

/** Checks a worker's options (a typed error naming the bad one) and fills in the defaults. */
export function resolveWorkerOptions(options: WorkerOptions): WorkerSettings {
  const queues = [...new Set((options.queues ?? [DEFAULT_QUEUE]).map((queue) => checkQueueName(queue, 'queues')))];
  if (queues.length === 0) throw new InvalidArgumentError('queues', 'must name at least one queue');
  const concurrency = options.concurrency ?? 10;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidArgumentError('concurrency', 'must be an integer of 1 or more', concurrency);
  }
  // Floors below which the timers would spin rather than wait: refused, not raised behind the caller's back.
  const leaseMs = atLeast(toMilliseconds(options.lease ?? 30_000, 'lease'), 100, 'lease');
  const heartbeatMs = atLeast(
    toMilliseconds(options.heartbeat ?? Math.max(20, Math.floor(leaseMs / 3)), 'heartbeat'),
    20,
    'heartbeat',
  );
  // A lease renewed no sooner than it runs out would expire between renewals.
  if (heartbeatMs >= leaseMs) {
    throw new InvalidArgumentError('heartbeat', `must be shorter than the lease (${leaseMs} ms)`, heartbeatMs);
  }
  const maintenanceMs = atLeast(toMilliseconds(options.maintenance ?? 5000, 'maintenance'), 50, 'maintenance');
  const idleWaitMs = atLeast(toMilliseconds(options.idleWait ?? 5000, 'idleWait'), 10, 'idleWait');
  const shutdownGraceMs = toMilliseconds(options.shutdownGrace ?? 10_000, 'shutdownGrace');
  let rateLimit: ClaimRequest['rateLimit'];
  if (options.rateLimit) {
    const { max } = options.rateLimit;
    if (!Number.isInteger(max) || max < 1)
      throw new InvalidArgumentError('rateLimit.max', 'must be an integer of 1 or more', max);
    rateLimit = {
      max,
      windowMs: atLeast(toMilliseconds(options.rateLimit.duration, 'rateLimit.duration'), 1, 'rateLimit.duration'),
    };
  }
  const prefetch = options.prefetch ?? 'auto';
  if (prefetch !== 'auto' && !(Number.isInteger(prefetch) && prefetch >= 0 && prefetch <= 10_000)) {
    throw new InvalidArgumentError('prefetch', "must be 'auto' or an integer from 0 to 10000", prefetch);
  }
  return {
    queues,
    concurrency,
    leaseMs,
    heartbeatMs,
    maintenanceMs,
    idleWaitMs,
    shutdownGraceMs,
    rateLimit,
    prefetch,
    id: options.id ?? `${hostname()}:${process.pid}:${newLocalId()}`,
  };
}

function atLeast(ms: number, floor: number, argument: string): number {
  if (ms < floor) throw new InvalidArgumentError(argument, `must be at least ${floor} ms`, ms);
  return ms;
}

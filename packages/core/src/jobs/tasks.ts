import type { Logger } from '../logger.js';
import type { TaskDefaults } from './types.js';

/** What a running job's handler sees of it. */
export interface RunningJob<TData = unknown> {
  id: string;
  name: string;
  queue: string;
  data: TData;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  createdAt: number;
  group: string | undefined;
}

export interface JobContext<TData = unknown> {
  job: RunningJob<TData>;
  attempt: number;
  /** Aborts on cancellation (from any process), time limit, lost lease or shutdown; `reason.code` says which. */
  signal: AbortSignal;
  log: Logger;
  /** Stores the progress on the job and publishes it as an event. */
  progress(percent: number, message?: string, data?: unknown): Promise<void>;
}

export type TaskHandler<TData = unknown, TResult = unknown> = (data: TData, ctx: JobContext<TData>) => Promise<TResult>;

export interface TaskDefinition {
  name: string;
  handler: TaskHandler<never, unknown>;
  defaults: TaskDefaults;
}

/** A typed handle on a defined task: `enqueue` with its payload type. */
export interface Task<TData, TResult> {
  readonly name: string;
  enqueue(data: TData, options?: import('./types.js').JobOptions): Promise<string>;
  /** Only for typing `waitForResult`: never set at run time. */
  readonly __result?: TResult;
}

export type TaskRegistry = ReadonlyMap<string, TaskDefinition>;

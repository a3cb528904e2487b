export { createJobs, Jobs, type JobsOptions, type ListJobsResult } from './jobs.js';
export { Worker, type WorkerOptions } from './worker.js';
export type { RemovableState, RemoveJobsOptions, RetryJobsOptions } from './bulk.js';
export { UnrecoverableJobError, JobFailedError, JobAbortedError } from './errors.js';
export type { JobContext, RunningJob, Task, TaskHandler } from './tasks.js';
export type { RetentionOption } from './options.js';
export type { GetHistoryOptions, JobHistory } from './job-history.js';
export type { TaskInfo } from './task-info.js';
export type { GetLogsOptions, JobLogLevel, JobLogLine, JobLogPage } from './job-log.js';
export {
  JOB_STATES,
  type BackoffOptions,
  type JobErrorInfo,
  type JobEvent,
  type JobOptions,
  type JobProgress,
  type JobRecord,
  type JobState,
  type JobTimestamps,
  type ListJobsOptions,
  type TaskDefaults,
  type JobRetention,
  type WorkerInfo,
} from './types.js';
export type { JobStore } from './store.js';
export * from './scheduler/index.js';

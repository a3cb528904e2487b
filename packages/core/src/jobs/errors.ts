import { BackplaneError } from '../errors.js';
import type { JobErrorInfo } from './types.js';

/** Throw it from a handler to fail the job at once, skipping the retries left. */
export class UnrecoverableJobError extends Error {
  override readonly name = 'UnrecoverableJobError';
}

/** What a job recorded when it failed or was cancelled, thrown by `waitForResult`. */
export class JobFailedError extends BackplaneError {
  override readonly name = 'JobFailedError';
  readonly jobId: string;
  readonly jobError: JobErrorInfo;

  constructor(jobId: string, jobError: JobErrorInfo, cancelled: boolean) {
    super(
      cancelled ? 'E_JOB_CANCELLED' : 'E_JOB_FAILED',
      `job ${jobId} ${cancelled ? 'was cancelled' : `failed: ${jobError.message}`}`,
      { details: { jobId, error: jobError } },
    );
    this.jobId = jobId;
    this.jobError = jobError;
  }
}

/** The reasons a running job's signal aborts with; handlers can tell them apart by `code`. */
export class JobAbortedError extends Error {
  override readonly name = 'JobAbortedError';
  readonly code: 'E_JOB_TIMEOUT' | 'E_JOB_CANCELLED' | 'E_JOB_LEASE_LOST' | 'E_JOB_SHUTDOWN';
  constructor(code: JobAbortedError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** A failed job is kept for days (retention): its stack is kept to the first frames that matter. */
const MAX_STACK_CHARS = 2000;

function capStack(stack: string): string {
  return stack.length > MAX_STACK_CHARS ? `${stack.slice(0, MAX_STACK_CHARS)}\n    … (cut)` : stack;
}

/** Turns anything a handler threw into what the job records. */
export function toJobError(error: unknown): JobErrorInfo {
  if (error instanceof Error) {
    const info: JobErrorInfo = { message: error.message, name: error.name };
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') info.code = code;
    if (error instanceof UnrecoverableJobError) info.unrecoverable = true;
    if (typeof error.stack === 'string') info.stack = capStack(error.stack);
    return info;
  }
  return { message: typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error)) };
}

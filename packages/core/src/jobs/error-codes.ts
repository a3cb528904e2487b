/** Error codes of the jobs component; merged into ERROR_CODES in ../errors.ts. */
export const JOBS_ERROR_CODES = {
  E_JOB_NOT_FOUND: { status: 404, description: 'No job with this id (never created, or removed by retention).' },
  E_TASK_UNKNOWN: { status: 404, description: 'No task with this name is defined.' },
  E_INVALID_PAYLOAD: {
    status: 422,
    description: "The job's data fails the task's schema or cannot be serialized to JSON.",
  },
  E_JOB_STATE: { status: 409, description: 'The job is in a state that does not allow the call.' },
  E_JOB_FAILED: { status: 500, description: 'The job failed; the error carries what the job recorded.' },
  E_JOB_CANCELLED: { status: 409, description: 'The job was cancelled.' },
  E_JOB_TIMEOUT: { status: 504, description: 'An attempt ran past its time limit.' },
  E_JOB_STALLED: { status: 500, description: 'The job lost its worker more often than allowed.' },
  E_JOB_SPOOL_FULL: {
    status: 503,
    description: 'Redis is down and the local enqueue spool is full; the job was not accepted.',
  },
} as const satisfies Record<string, { status: number; description: string }>;

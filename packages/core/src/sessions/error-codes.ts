/** Error codes of the sessions component; merged into ERROR_CODES in ../errors.ts. */
export const SESSIONS_ERROR_CODES = {
  E_SESSION_CONFLICT: {
    status: 409,
    description: 'A compare-and-set update expected another session version; re-read and retry.',
  },
  E_SESSION_TOO_LARGE: {
    status: 413,
    description: 'The session data would exceed the configured maxBytes; nothing was written.',
  },
  E_SESSION_DATA_INVALID: {
    status: 400,
    description: 'Session data is not a plain object or holds a value JSON cannot represent.',
  },
} as const satisfies Record<string, { status: number; description: string }>;

/** Error codes of the cache component; merged into ERROR_CODES in ../errors.ts. */
export const CACHE_ERROR_CODES = {
  E_CACHE_LOADER_TIMEOUT: {
    status: 504,
    description: 'A cache loader ran past its hard timeout and no stale value could answer instead.',
  },
} as const satisfies Record<string, { status: number; description: string }>;

import { BackplaneError } from '../errors.js';
import type { Loader } from './options.js';

/** What `raceTimeout` resolves to when the time ran out first. */
export const SOFT_TIMEOUT: unique symbol = Symbol('soft timeout');

/**
 * Calls a loader with an AbortSignal. With a hard timeout, the returned promise rejects with
 * `E_CACHE_LOADER_TIMEOUT` when it passes, and the signal aborts so the loader can stop its own work.
 */
export function callLoader(
  loader: Loader<unknown>,
  userKey: string,
  hardTimeout: number | undefined,
): Promise<unknown> {
  const controller = new AbortController();
  const loaded = Promise.resolve().then(() => loader({ signal: controller.signal, key: userKey }));
  if (hardTimeout === undefined) return loaded;
  // The loader may settle after it lost the race; nobody awaits it then.
  loaded.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new BackplaneError(
        'E_CACHE_LOADER_TIMEOUT',
        `loader of "${userKey}" took more than ${hardTimeout} ms`,
      );
      controller.abort(error);
      reject(error);
    }, hardTimeout);
    timer.unref();
  });
  return Promise.race([loaded, expired]).finally(() => clearTimeout(timer));
}

export function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof SOFT_TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof SOFT_TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(SOFT_TIMEOUT), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

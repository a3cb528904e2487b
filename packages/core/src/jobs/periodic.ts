/**
 * Runs `task` every `ms` on an unref'd timer, skipping a beat while the previous run is still going
 * (a slow Redis must not pile up heartbeats). Errors go to `onError`. Returns the timer, for clearInterval.
 */
export function every(ms: number, task: () => Promise<void>, onError: (error: unknown) => void): NodeJS.Timeout {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    task()
      .catch(onError)
      .finally(() => (busy = false));
  }, ms);
  timer.unref();
  return timer;
}

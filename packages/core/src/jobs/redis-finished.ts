import type { Redis } from 'ioredis';
import type { RedisConnection } from '../redis/connection.js';
import type { RawEvent } from './store.js';

/**
 * Subscribes to a queue's channel of final events (published by includes/common.lua `emit` as
 * `lid \n event \n data`). Resolves once subscribed. ioredis re-subscribes by itself after a reconnect;
 * messages published in the gap are lost, so `onGap` runs then (and once more shortly after, as the
 * re-subscription races the caller's re-check).
 */
export async function subscribeFinished(
  connection: RedisConnection,
  channel: string,
  listener: (event: RawEvent) => void,
  onGap: () => void,
): Promise<() => Promise<void>> {
  const subscriber = connection.createClient('jobs-done', { commandTimeoutMs: undefined });
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const first = message.indexOf('\n');
    const second = message.indexOf('\n', first + 1);
    if (first < 0 || second < 0) return;
    const data = message.slice(second + 1);
    listener({
      id: '',
      localId: message.slice(0, first),
      type: message.slice(first + 1, second),
      data: data === '' ? undefined : data,
    });
  });
  let subscribed = false;
  const timers = new Set<NodeJS.Timeout>();
  subscriber.on('ready', () => {
    if (!subscribed) return;
    onGap();
    const timer = setTimeout(() => {
      timers.delete(timer);
      onGap();
    }, 500);
    timer.unref();
    timers.add(timer);
  });
  try {
    await whenReady(subscriber);
    await subscriber.subscribe(channel);
  } catch (error) {
    subscriber.disconnect();
    throw connection.unavailable(error);
  }
  subscribed = true;
  return async () => {
    for (const timer of timers) clearTimeout(timer);
    subscriber.disconnect();
  };
}

/** A client made with `createClient` connects in the background and has no offline queue: wait for it. */
export async function whenReady(client: Redis, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('connection closed'));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

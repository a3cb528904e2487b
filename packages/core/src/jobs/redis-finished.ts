import type { RedisConnection } from '../redis/connection.js';
import { subscribe } from '../redis/subscription.js';
import type { RawEvent } from './store.js';

/**
 * Subscribes to a queue's channel of final events (published by includes/queue.lua `emit` as
 * `lid \n event \n data`). Resolves once subscribed. What is published while the subscription is
 * broken is lost, so `onGap` runs once it is back (see ../redis/subscription.ts).
 */
export function subscribeFinished(
  connection: RedisConnection,
  channel: string,
  listener: (event: RawEvent) => void,
  onGap: () => void,
): Promise<() => Promise<void>> {
  return subscribe(connection, 'jobs-done', [channel], {
    onMessage: (from, message) => {
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
    },
    onGap,
  });
}

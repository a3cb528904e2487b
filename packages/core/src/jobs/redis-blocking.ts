import type { Redis } from 'ioredis';
import type { RedisConnection } from '../redis/connection.js';

/**
 * Clients for blocking commands (BLPOP on a queue's marker or inbox, XREAD BLOCK on its events): each
 * call runs on a client of its own, taken from a small pool so a busy worker does not reconnect for
 * every wait. Aborting the call's signal disconnects that client (a blocked command cannot be taken
 * back otherwise); it is not reused.
 */
export class BlockingClients {
  private readonly all = new Set<Redis>();
  private readonly idle: Redis[] = [];
  private readonly blockedBySignal = new WeakMap<AbortSignal, Set<Redis>>();
  private closed = false;

  constructor(private readonly connection: RedisConnection) {}

  /** Runs `command`; undefined when the signal aborted or the pool closed meanwhile. */
  async call<T>(signal: AbortSignal, command: (client: Redis) => Promise<T>): Promise<T | undefined> {
    const client = this.idle.pop() ?? this.connection.createClient('jobs-blocking', { commandTimeoutMs: undefined });
    this.all.add(client);
    const inFlight = this.blockedOn(signal);
    inFlight.add(client);
    let reusable = false;
    try {
      if (client.status !== 'ready') await whenReady(client);
      if (signal.aborted) return undefined;
      const reply = await command(client);
      reusable = !signal.aborted && !this.closed;
      return reply;
    } catch (error) {
      if (signal.aborted || this.closed) return undefined;
      throw this.connection.unavailable(error);
    } finally {
      inFlight.delete(client);
      if (reusable && this.idle.length < 8) {
        this.idle.push(client);
      } else {
        this.all.delete(client);
        client.disconnect();
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const client of this.all) client.disconnect();
    this.all.clear();
    this.idle.length = 0;
  }

  /**
   * The clients blocked on behalf of a signal, disconnected when it aborts: one abort listener per
   * signal (a worker's lifetime), not one per blocking call.
   */
  private blockedOn(signal: AbortSignal): Set<Redis> {
    let clients = this.blockedBySignal.get(signal);
    if (!clients) {
      const set = new Set<Redis>();
      signal.addEventListener(
        'abort',
        () => {
          for (const client of set) client.disconnect();
        },
        { once: true },
      );
      this.blockedBySignal.set(signal, (clients = set));
    }
    return clients;
  }
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

import type { Redis } from 'ioredis';
import { DEFAULT_BUDGETS, reconnectDelay } from './client.js';
import type { RedisConnection } from './connection.js';

export interface SubscriptionHandlers {
  onMessage(channel: string, message: string): void;
  /**
   * The subscription is back after a break: what was published during it is lost. Runs once the
   * channels are subscribed again, so a re-read the handler starts now misses nothing.
   */
  onGap(): void;
}

/**
 * A pub/sub subscription that knows when it may have missed messages.
 *
 * Why not ioredis' own re-subscription: on a cluster, ioredis moves a cut subscription to a new
 * connection without any event (nothing at all when the connection was cut while its node stayed up),
 * so a listener could not tell that messages were lost. Here every connection is one attempt: when it
 * ends, a new client subscribes after a jittered backoff (on a cluster to a master picked again, another
 * one than the last when there is one, so a dead node is left behind), and `onGap` runs once it has.
 */
export class Subscription {
  private client: Redis | undefined;
  /** The client whose subscription is confirmed, while it lasts. */
  private subscribedClient: Redis | undefined;
  /** The last node an attempt used (`host:port`), avoided by the next one on a cluster. */
  private lastNode: string | undefined;
  private attempt = 0;
  private subscribedOnce = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly first: Promise<void>;
  private markFirst: () => void = () => undefined;

  constructor(
    private readonly connection: RedisConnection,
    private readonly purpose: string,
    private readonly channels: readonly string[],
    private readonly handlers: SubscriptionHandlers,
  ) {
    this.first = new Promise((resolve) => (this.markFirst = resolve));
    this.open();
  }

  /** Resolves once the channels were first subscribed; rejects with `E_REDIS_UNAVAILABLE` after `timeoutMs`. */
  async subscribed(timeoutMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(this.connection.unavailable(new Error(`not subscribed after ${timeoutMs} ms`))),
        timeoutMs,
      );
      timer.unref();
    });
    try {
      await Promise.race([this.first, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether messages reach the handler now. */
  get listening(): boolean {
    return this.subscribedClient !== undefined && this.subscribedClient.status === 'ready';
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.client?.disconnect();
    this.client = undefined;
    this.subscribedClient = undefined;
  }

  private open(): void {
    if (this.closed || this.connection.isClosed) return;
    const client = this.connection.createSubscriberClient(this.purpose, this.lastNode);
    if (!client) {
      // A cluster that knows no master yet (still connecting): look again soon, without backing off.
      this.retry(false);
      return;
    }
    this.client = client;
    this.lastNode = `${client.options.host ?? ''}:${client.options.port ?? ''}`;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      if (this.subscribedClient === client) this.subscribedClient = undefined;
      client.disconnect();
      if (this.client !== client) return;
      this.client = undefined;
      this.retry();
    };
    client.on('message', (channel: string, message: string) => {
      if (this.client === client) this.handlers.onMessage(channel, message);
    });
    client.once('end', end);
    client
      .connect()
      .then(() => client.subscribe(...this.channels))
      .then(() => {
        if (ended || this.closed) return;
        this.attempt = 0;
        this.subscribedClient = client;
        if (this.subscribedOnce) {
          this.handlers.onGap();
          return;
        }
        this.subscribedOnce = true;
        this.markFirst();
      }, end);
  }

  private retry(backOff = true): void {
    if (this.closed) return;
    const delay = reconnectDelay(backOff ? this.attempt++ : 0, DEFAULT_BUDGETS.maxReconnectDelayMs);
    this.retryTimer = setTimeout(() => this.open(), delay);
    this.retryTimer.unref();
  }
}

/**
 * Opens a subscription and resolves once it is subscribed, with a function that ends it; rejects with
 * `E_REDIS_UNAVAILABLE` (and ends it) when it is not subscribed within `timeoutMs`.
 */
export async function subscribe(
  connection: RedisConnection,
  purpose: string,
  channels: readonly string[],
  handlers: SubscriptionHandlers,
  timeoutMs?: number,
): Promise<() => Promise<void>> {
  const subscription = new Subscription(connection, purpose, channels, handlers);
  try {
    await subscription.subscribed(timeoutMs);
  } catch (error) {
    subscription.close();
    throw error;
  }
  return async () => subscription.close();
}

import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/client.js';
import type { RedisConnection } from '../redis/connection.js';
import { Subscription } from '../redis/subscription.js';

/** What one process tells the others to drop from their L1. */
export type BusMessage = { keys: string[] } | { prefix: string } | { tags: string[] };

interface WireMessage {
  /** The sender, so a process ignores its own messages. */
  o: string;
  k?: string[];
  p?: string;
  t?: string[];
}

export interface BusHandlers {
  onMessage(message: BusMessage): void;
  /** The subscription came back after a drop: what was missed meanwhile is unknown. */
  onReconnect(): void;
}

/**
 * Pub/sub between processes sharing one Redis, for L1 coherence. Publishing rides the shared client
 * (auto-pipelined, fail-open: a lost message only leaves another L1 stale until its entry expires);
 * the subscription has a connection of its own and reports a break once it is subscribed again
 * (../redis/subscription.ts), on one server as on a cluster, where PUBLISH reaches every node and the
 * subscription listens on one master.
 */
export class InvalidationBus {
  readonly id = randomUUID();
  private readonly publisher: RedisClient;
  private readonly subscription: Subscription;
  private readonly channel: string;
  private readonly logger: Logger;
  private closed = false;

  constructor(connection: RedisConnection, channel: string, handlers: BusHandlers, logger: Logger) {
    this.publisher = connection.redis;
    this.channel = channel;
    this.logger = logger;
    this.subscription = new Subscription(connection, 'cache-bus', [channel], {
      onMessage: (from, text) => {
        if (from !== channel) return;
        const message = this.parse(text);
        if (message) handlers.onMessage(message);
      },
      onGap: () => {
        if (!this.closed) handlers.onReconnect();
      },
    });
  }

  /** Resolves once subscribed (or after `timeoutMs`), so a test or a process start can wait for it. */
  async ready(timeoutMs = 2_000): Promise<void> {
    await this.subscription.subscribed(timeoutMs).catch(() => undefined);
  }

  publish(message: BusMessage): void {
    // While Redis is away a publish can only fail; skipping it saves building an error per write.
    if (this.closed || this.publisher.status !== 'ready') return;
    const wire: WireMessage = { o: this.id };
    if ('keys' in message) wire.k = message.keys;
    else if ('prefix' in message) wire.p = message.prefix;
    else wire.t = message.tags;
    this.publisher.publish(this.channel, JSON.stringify(wire)).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscription.close();
  }

  private parse(text: string): BusMessage | undefined {
    try {
      const wire = JSON.parse(text) as WireMessage;
      if (wire.o === this.id) return undefined;
      if (Array.isArray(wire.k)) return { keys: wire.k };
      if (typeof wire.p === 'string') return { prefix: wire.p };
      if (Array.isArray(wire.t)) return { tags: wire.t };
    } catch {
      this.logger.debug('cache bus: ignored a malformed message');
    }
    return undefined;
  }
}

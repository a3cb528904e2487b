import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis/client.js';
import { isCluster } from '../redis/keyspace.js';
import type { RedisConnection } from '../redis/connection.js';

/** Long enough for ioredis to subscribe again on another cluster node after the first one went. */
const CLUSTER_RESUBSCRIBE_MS = 1_000;

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
 * the subscriber is a dedicated client without command timeout, as a subscription must be. On a Redis
 * Cluster both are cluster clients: PUBLISH reaches every node's subscribers over the cluster bus, and
 * the subscriber listens on one node of ioredis' choosing.
 */
export class InvalidationBus {
  readonly id = randomUUID();
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly channel: string;
  private readonly logger: Logger;
  private wasReady = false;
  private subscribed = false;
  private lostSinceReady = false;
  private closed = false;
  private gapTimer: NodeJS.Timeout | undefined;

  constructor(connection: RedisConnection, channel: string, handlers: BusHandlers, logger: Logger) {
    this.publisher = connection.redis;
    this.channel = channel;
    this.logger = logger;
    this.subscriber = connection.createClient('cache-bus', { commandTimeoutMs: undefined });
    this.subscriber.on('message', (from: string, text: string) => {
      if (from !== channel) return;
      const message = this.parse(text);
      if (message) handlers.onMessage(message);
    });
    this.subscriber.on('close', () => {
      if (this.wasReady) this.lostSinceReady = true;
    });
    this.subscriber.on('ready', () => {
      // ioredis subscribes again by itself on reconnect (autoResubscribe); subscribe on the first ready.
      if (!this.wasReady) {
        this.wasReady = true;
        this.subscriber.subscribe(channel).then(
          () => {
            this.subscribed = true;
          },
          (error: unknown) => this.logger.warn({ err: String(error) }, 'cache bus subscribe failed'),
        );
        return;
      }
      if (this.lostSinceReady && !this.closed) {
        this.lostSinceReady = false;
        handlers.onReconnect();
      }
    });
    if (isCluster(this.subscriber)) this.watchClusterSubscriber(this.subscriber, handlers);
  }

  /**
   * ioredis keeps a cluster subscription on one node and, when that node goes, moves it to another by
   * itself: no close or ready, yet what was published in between is lost. The sign is a node leaving
   * the client's pool (which only happens to nodes it has a connection to, hence one to every master):
   * the L1 is suspect now, and once more after the subscription has moved.
   */
  private watchClusterSubscriber(cluster: Cluster, handlers: BusHandlers): void {
    cluster.on('ready', () => {
      for (const node of cluster.nodes('master')) node.ping().catch(() => undefined);
    });
    cluster.on('-node', () => {
      if (!this.wasReady || this.closed) return;
      handlers.onReconnect();
      clearTimeout(this.gapTimer);
      this.gapTimer = setTimeout(() => {
        if (!this.closed) handlers.onReconnect();
      }, CLUSTER_RESUBSCRIBE_MS);
      this.gapTimer.unref();
    });
  }

  /** Resolves once subscribed (or after `timeoutMs`), so a test or a process start can wait for it. */
  async ready(timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.subscribed && this.subscriber.status === 'ready') return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
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
    clearTimeout(this.gapTimer);
    this.subscriber.disconnect();
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

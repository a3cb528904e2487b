import { Redis, type RedisOptions } from 'ioredis';

/**
 * A server client whose command budget is kept by one timer per client rather than one per command.
 * While commands wait for replies, a timer checks every `stallMs` whether the oldest of them is still
 * the one it saw last time; if so, no reply came for a whole budget, the connection is stuck, and it is
 * closed: every waiting command fails at once and ioredis reconnects. A stuck connection is found
 * within one to two budgets.
 *
 * Why: ioredis' `commandTimeout` arms and clears a timer for every command, and a sequence of lone
 * commands (a job enqueued, then acked) also rebuilds Node's timer list each time. On the sequential
 * jobs path that cost about 30 µs of CPU per job (docs/jobs-bench.md). The difference in behaviour: a
 * command that legitimately runs longer than the budget closes the connection instead of failing alone,
 * so use it only for clients whose commands are all short (the jobs engine's scripts and reads).
 */
export class StallWatchedRedis extends Redis {
  private stallTimer: NodeJS.Timeout | undefined;
  private oldestSeen: unknown;
  private readonly stallMs: number;

  constructor(options: RedisOptions & { replyMapping?: 'legacy' }, stallMs: number) {
    super(options);
    this.stallMs = stallMs;
  }

  override sendCommand(...args: Parameters<Redis['sendCommand']>): ReturnType<Redis['sendCommand']> {
    const sent = super.sendCommand(...args);
    if (this.stallTimer === undefined && this.commandQueue.length > 0) this.armStallTimer();
    return sent;
  }

  override disconnect(reconnect?: boolean): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    super.disconnect(reconnect);
  }

  private armStallTimer(): void {
    this.oldestSeen = this.commandQueue.peekFront();
    this.stallTimer = setTimeout(() => this.checkStall(), this.stallMs);
    // The socket keeps the process alive while commands wait; this timer need not.
    this.stallTimer.unref();
  }

  private checkStall(): void {
    this.stallTimer = undefined;
    if (this.commandQueue.length === 0) return;
    if (this.commandQueue.peekFront() !== this.oldestSeen) {
      this.armStallTimer();
      return;
    }
    this.oldestSeen = undefined;
    this.stream.destroy(new Error(`no reply from Redis within ${this.stallMs} ms`));
  }
}

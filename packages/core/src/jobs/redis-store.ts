import type { Redis } from 'ioredis';
import type { RedisConnection } from '../redis/connection.js';
import { jobsKeys, type JobsKeys } from './keys.js';
import { subscribeFinished, whenReady } from './redis-finished.js';
import { listWaiting } from './redis-list.js';
import { defineJobScripts, runScript, type ScriptName } from './scripts.js';
import type {
  ClaimBatch,
  ClaimRequest,
  FinishItem,
  FinishReply,
  JobStore,
  JobStoreOptions,
  LeaseStatus,
  NewJob,
  RawEvent,
  RawJob,
} from './store.js';
import type { JobState, WorkerInfo } from './types.js';

type CountableState = Exclude<JobState, 'spooled'>;

/** A worker whose entry was not refreshed for this long (or three heartbeats) is dropped from listings. */
const WORKER_STALE_MS = 30_000;

/**
 * The job engine on Redis. Every state change is one Lua script (lua/jobs/*.lua), so it is atomic;
 * blocking reads (the wake-up marker, the event stream) and the cancel subscriber use clients of their
 * own. Every Redis failure rejects with the connection's redacted `E_REDIS_UNAVAILABLE`.
 */
export class RedisJobStore implements JobStore {
  readonly kind = 'redis' as const;
  private readonly connection: RedisConnection;
  private readonly redis: Redis;
  private readonly keys: JobsKeys;
  private readonly options: JobStoreOptions;
  private readonly blocking = new Set<Redis>();
  private readonly idle: Redis[] = [];
  private closed = false;

  constructor(connection: RedisConnection, options: JobStoreOptions & { keyPrefix?: string }) {
    this.connection = connection;
    this.redis = connection.client;
    this.keys = jobsKeys(options.keyPrefix ?? 'bp');
    this.options = options;
    defineJobScripts(this.redis);
  }

  async add(queue: string, jobs: readonly NewJob[]): Promise<string[]> {
    // One script call per slice: a call with all ARGV of a huge bulk overflows the JS stack (ioredis
    // spreads them) and would block Redis for its whole length. Callers validate every job first.
    const ids: string[] = [];
    for (let start = 0; start < jobs.length; start += ADD_SLICE) {
      const slice = jobs.slice(start, start + ADD_SLICE);
      const args: Array<string | number> = [slice.length];
      for (const job of slice) {
        args.push(
          job.localId,
          job.name,
          job.data,
          job.priority,
          job.maxAttempts,
          job.backoff,
          job.timeoutMs,
          job.delayMs,
          job.idempotencyKey,
          job.group,
          job.keepCompletedMs ?? '',
          job.keepFailedMs ?? '',
        );
      }
      ids.push(...((await this.script(queue, 'add', args)) as string[]));
    }
    return ids;
  }

  async claim(queue: string, request: ClaimRequest): Promise<ClaimBatch> {
    const args = [...claimArgs(request), request.idle?.token ?? '', request.idle?.waitMs ?? 0];
    const reply = (await this.script(queue, 'claim', args)) as unknown[];
    const registered = reply.pop() === 1;
    return { ...parseClaim(reply, 0), registered };
  }

  async finish(queue: string, items: readonly FinishItem[], next: ClaimRequest): Promise<FinishReply> {
    const { completed, failed } = this.options.retention;
    const args: Array<string | number> = [
      completed.ageMs,
      completed.keep,
      failed.ageMs,
      failed.keep,
      ...claimArgs(next),
    ];
    args.push(items.length);
    for (const { localId, token, outcome } of items) {
      const payload = outcome.kind === 'completed' ? outcome.result : outcome.kind === 'release' ? '' : outcome.error;
      args.push(localId, token, outcome.kind, payload, outcome.kind === 'retry' ? outcome.delayMs : 0);
    }
    const [states, claim] = (await this.script(queue, 'finish', args)) as [string[], unknown[]];
    return {
      states: states.map((state) => (state === '' ? undefined : (state as JobState))),
      next: parseClaim(claim, 0),
    };
  }

  async extend(
    queue: string,
    leases: ReadonlyArray<{ localId: string; token: string }>,
    leaseMs: number,
  ): Promise<LeaseStatus[]> {
    if (leases.length === 0) return [];
    const args: Array<string | number> = [leaseMs];
    for (const lease of leases) args.push(lease.localId, lease.token);
    return (await this.script(queue, 'extend', args)) as LeaseStatus[];
  }

  async progress(queue: string, localId: string, token: string, progress: string): Promise<boolean> {
    return (await this.script(queue, 'progress', [localId, token, progress])) === 1;
  }

  async maintain(queue: string): Promise<number> {
    const { completed, failed } = this.options.retention;
    const reply = (await this.script(queue, 'maintain', [
      this.options.maxStalls,
      completed.ageMs,
      completed.keep,
      failed.ageMs,
      failed.keep,
      500,
    ])) as number[];
    return reply[0] ?? 0;
  }

  async waitForWork(
    queue: string,
    timeoutMs: number,
    signal: AbortSignal,
    idleToken?: string,
  ): Promise<ClaimBatch | undefined> {
    if (signal.aborted) return undefined;
    const k = this.keys.queue(queue);
    const seconds = Math.max(0.01, timeoutMs / 1000);
    if (idleToken === undefined) {
      await this.blockingCall(signal, (client) => client.blpop(k.marker, seconds));
      return undefined;
    }
    const inbox = k.inbox(idleToken);
    const popped = await this.blockingCall(signal, (client) => client.blpop(inbox, k.marker, seconds));
    if (!popped || popped[0] !== inbox) return undefined;
    // A claim reply encoded by includes/common.lua handOff: cjson writes absent fields as false.
    const reply = (JSON.parse(popped[1]) as unknown[]).map((value) => (value === false ? null : value));
    const registered = reply[0] === 1;
    return { ...parseClaim(reply, 0), registered };
  }

  async cancel(queue: string, localId: string, graceMs: number): Promise<JobState | undefined> {
    const state = (await this.script(queue, 'cancel', [
      localId,
      graceMs,
      this.keys.queue(queue).cancelChannel,
      this.options.retention.failed.ageMs,
      this.options.retention.failed.keep,
    ])) as string;
    return state === '' ? undefined : (state as JobState);
  }

  async retry(queue: string, localId: string): Promise<JobState | undefined> {
    const state = (await this.script(queue, 'retry', [localId])) as string;
    return state === '' ? undefined : (state as JobState);
  }

  async remove(queue: string, localId: string): Promise<JobState | undefined> {
    const state = (await this.script(queue, 'remove', [localId])) as string;
    return state === '' ? undefined : (state as JobState);
  }

  async getOutcome(queue: string, localId: string): Promise<{ s: string; r?: string; e?: string } | undefined> {
    const [s, r, e] = await this.run(() => this.redis.hmget(this.keys.queue(queue).jobBase + localId, 's', 'r', 'e'));
    if (s === null || s === undefined) return undefined;
    const outcome: { s: string; r?: string; e?: string } = { s };
    if (r !== null && r !== undefined) outcome.r = r;
    if (e !== null && e !== undefined) outcome.e = e;
    return outcome;
  }

  async get(queue: string, localId: string): Promise<RawJob | undefined> {
    return (await this.getMany(queue, [localId]))[0];
  }

  async getMany(queue: string, localIds: readonly string[]): Promise<Array<RawJob | undefined>> {
    const base = this.keys.queue(queue).jobBase;
    const hashes = await this.run(() => Promise.all(localIds.map((id) => this.redis.hgetall(base + id))));
    return hashes.map((fields, index) =>
      Object.keys(fields).length === 0 ? undefined : { localId: localIds[index] ?? '', fields },
    );
  }

  async listIds(queue: string, state: CountableState, offset: number, count: number): Promise<string[]> {
    const k = this.keys.queue(queue);
    return this.run(async () => {
      if (state === 'waiting') return listWaiting(this.redis, this.keys.queue(queue), offset, count);
      const zset = {
        delayed: k.delayed,
        active: k.active,
        completed: k.completed,
        failed: k.failed,
        cancelled: k.cancelled,
      }[state];
      return this.redis.zrange(zset, String(offset), String(offset + count - 1));
    });
  }

  async counts(queue: string): Promise<Record<CountableState, number>> {
    const k = this.keys.queue(queue);
    return this.run(async () => {
      const [grouped, plain, prioritized, delayed, active, completed, failed, cancelled] = await Promise.all([
        this.redis.hget(k.meta, 'gw'),
        this.redis.llen(k.waiting),
        this.redis.zcard(k.prioritized),
        this.redis.zcard(k.delayed),
        this.redis.zcard(k.active),
        this.redis.zcard(k.completed),
        this.redis.zcard(k.failed),
        this.redis.zcard(k.cancelled),
      ]);
      return { waiting: plain + prioritized + Number(grouped ?? 0), delayed, active, completed, failed, cancelled };
    });
  }

  async readEvents(
    queue: string,
    afterId: string,
    count: number,
    blockMs: number,
    signal?: AbortSignal,
  ): Promise<RawEvent[]> {
    const key = this.keys.queue(queue).events;
    type StreamReply = Array<[string, Array<[string, string[]]>]> | null;
    let reply: StreamReply;
    if (blockMs <= 0) {
      reply = await this.run(() => this.redis.xread('COUNT', String(count), 'STREAMS', key, afterId));
    } else {
      const controller = signal ?? new AbortController().signal;
      reply = (await this.blockingCall(controller, (client) =>
        client.xread('COUNT', String(count), 'BLOCK', String(blockMs), 'STREAMS', key, afterId),
      )) as StreamReply;
    }
    return (reply?.[0]?.[1] ?? []).map(toRawEvent);
  }

  async readEventsBackward(
    queue: string,
    beforeId: string | undefined,
    sinceId: string,
    count: number,
  ): Promise<RawEvent[]> {
    const key = this.keys.queue(queue).events;
    const end = beforeId === undefined ? '+' : `(${beforeId}`;
    const entries = await this.run(() => this.redis.xrevrange(key, end, sinceId, 'COUNT', count));
    return entries.map(toRawEvent);
  }

  async lastEventId(queue: string): Promise<string> {
    const entries = await this.run(() => this.redis.xrevrange(this.keys.queue(queue).events, '+', '-', 'COUNT', 1));
    return entries[0]?.[0] ?? '0-0';
  }

  async setPaused(queue: string, paused: boolean): Promise<void> {
    const k = this.keys.queue(queue);
    await this.run(async () => {
      if (paused) {
        await this.redis.hset(k.meta, 'paused', '1');
        return;
      }
      await this.redis.hdel(k.meta, 'paused');
      // Idle workers sleep on the marker; wake one so the queue drains again.
      await this.redis.rpush(k.marker, '1');
    });
  }

  async isPaused(queue: string): Promise<boolean> {
    return (await this.run(() => this.redis.hexists(this.keys.queue(queue).meta, 'paused'))) === 1;
  }

  async onCancel(
    queues: readonly string[],
    onCancel: (queue: string, localId: string) => void,
  ): Promise<() => Promise<void>> {
    const subscriber = this.connection.createClient('jobs-cancel', { commandTimeoutMs: undefined });
    const byChannel = new Map(queues.map((queue) => [this.keys.queue(queue).cancelChannel, queue]));
    subscriber.on('message', (channel: string, localId: string) => {
      const queue = byChannel.get(channel);
      if (queue !== undefined) onCancel(queue, localId);
    });
    // ioredis re-subscribes by itself after a reconnect; the heartbeat reply covers the gap.
    await whenReady(subscriber);
    await this.run(() => subscriber.subscribe(...byChannel.keys()));
    return async () => {
      subscriber.disconnect();
    };
  }

  onFinished(queue: string, listener: (event: RawEvent) => void, onGap: () => void): Promise<() => Promise<void>> {
    return subscribeFinished(this.connection, this.keys.queue(queue).doneChannel, listener, onGap);
  }

  async registerQueue(queue: string): Promise<void> {
    await this.run(() => this.redis.sadd(this.keys.queues, queue));
  }

  async listQueues(): Promise<string[]> {
    return (await this.run(() => this.redis.smembers(this.keys.queues))).sort();
  }

  async registerWorker(info: WorkerInfo): Promise<void> {
    await this.run(() => this.redis.hset(this.keys.workers, info.id, JSON.stringify(info)));
  }

  async unregisterWorker(id: string): Promise<void> {
    await this.run(() => this.redis.hdel(this.keys.workers, id));
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    const all = await this.run(() => this.redis.hgetall(this.keys.workers));
    const live: WorkerInfo[] = [];
    const stale: string[] = [];
    for (const [id, json] of Object.entries(all)) {
      const info = JSON.parse(json) as WorkerInfo;
      if (Date.now() - info.lastHeartbeat > Math.max(WORKER_STALE_MS, 3 * (info.heartbeatMs ?? 0))) stale.push(id);
      else live.push(info);
    }
    if (stale.length > 0) await this.run(() => this.redis.hdel(this.keys.workers, ...stale));
    return live.sort((a, b) => a.startedAt - b.startedAt);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const client of this.blocking) client.disconnect();
    this.blocking.clear();
    this.idle.length = 0;
  }

  private script(queue: string, name: ScriptName, args: ReadonlyArray<string | number>): Promise<unknown> {
    const k = this.keys.queue(queue);
    const common = [k.jobBase, this.options.eventsMaxLength, this.options.groupConcurrency];
    return this.run(() => runScript(this.redis, name, k.scriptKeys, [...common, ...args]));
  }

  /**
   * Runs a blocking command on a client of its own, taken from a small pool so a busy worker does not
   * reconnect for every wait. Aborting the signal disconnects that client (a blocked command cannot be
   * taken back otherwise); it is not reused.
   */
  private async blockingCall<T>(signal: AbortSignal, command: (client: Redis) => Promise<T>): Promise<T | undefined> {
    const client = this.idle.pop() ?? this.connection.createClient('jobs-blocking', { commandTimeoutMs: undefined });
    this.blocking.add(client);
    const abort = (): void => client.disconnect();
    signal.addEventListener('abort', abort, { once: true });
    let reusable = false;
    try {
      await whenReady(client);
      if (signal.aborted) return undefined;
      const reply = await command(client);
      reusable = !signal.aborted && !this.closed;
      return reply;
    } catch (error) {
      if (signal.aborted || this.closed) return undefined;
      throw this.connection.unavailable(error);
    } finally {
      signal.removeEventListener('abort', abort);
      if (reusable && this.idle.length < 8) {
        this.idle.push(client);
      } else {
        this.blocking.delete(client);
        client.disconnect();
      }
    }
  }

  private async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.connection.unavailable(error);
    }
  }
}

function toRawEvent([id, fields]: [string, string[]]): RawEvent {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
  return { id, localId: map.j ?? '', type: map.e ?? '', data: map.d };
}

function claimArgs(request: ClaimRequest): Array<string | number> {
  return [
    request.count,
    request.workerId,
    request.leaseMs,
    request.rateLimit?.max ?? 0,
    request.rateLimit?.windowMs ?? 0,
  ];
}

const FIELDS_PER_JOB = 10;

/** Jobs per `add` script call (10 ARGV each). */
const ADD_SLICE = 1000;

function parseClaim(reply: unknown[], start: number): ClaimBatch {
  const nextAt = Number(reply[start] ?? -1);
  const jobs = [];
  for (let i = start + 1; i + FIELDS_PER_JOB - 1 < reply.length; i += FIELDS_PER_JOB) {
    const field = (offset: number): string | null => reply[i + offset] as string | null;
    jobs.push({
      localId: field(0) ?? '',
      token: String(field(1)),
      attempt: Number(field(2)),
      name: field(3) ?? '',
      data: field(4) ?? 'null',
      maxAttempts: Number(field(5) ?? 1),
      backoff: field(6) ?? '',
      timeoutMs: Number(field(7) ?? 0),
      createdAt: Number(field(8) ?? 0),
      group: field(9) ?? undefined,
    });
  }
  return { jobs, nextAt };
}

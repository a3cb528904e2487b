import type { RedisClient } from '../redis/client.js';
import type { RedisConnection } from '../redis/connection.js';
import { subscribe } from '../redis/subscription.js';
import { jobsKeys, type JobsKeys } from './keys.js';
import { BlockingClients } from './redis-blocking.js';
import { subscribeFinished } from './redis-finished.js';
import { listWaiting } from './redis-list.js';
import { parseClaim, pushClaimArgs, toRawEvent } from './redis-replies.js';
import { checkJobScripts, runScript, type ScriptName } from './scripts.js';
import type {
  BulkAction,
  BulkState,
  BulkStep,
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
  RawLogPage,
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
  private readonly redis: RedisClient;
  private readonly keys: JobsKeys;
  private readonly options: JobStoreOptions;
  private readonly blocking: BlockingClients;

  constructor(connection: RedisConnection, options: JobStoreOptions & { keyPrefix?: string }) {
    this.connection = connection;
    this.redis = connection.redis;
    this.keys = jobsKeys(options.keyPrefix ?? 'bp');
    this.options = options;
    this.blocking = new BlockingClients(connection);
    checkJobScripts();
  }

  async add(queue: string, jobs: readonly NewJob[]): Promise<string[]> {
    // One script call per slice: a huge bulk in one call would block Redis for its whole length.
    // Callers validate every job first.
    let ids: string[] = [];
    for (let start = 0; start < jobs.length; start += ADD_SLICE) {
      const end = Math.min(jobs.length, start + ADD_SLICE);
      const argv = this.scriptArgs(queue);
      argv.push(end - start);
      for (let i = start; i < end; i++) {
        const job = jobs[i] as NewJob;
        argv.push(
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
      const added = (await this.script('add', argv)) as string[];
      ids = start === 0 ? added : ids.concat(added);
    }
    return ids;
  }

  async claim(queue: string, request: ClaimRequest): Promise<ClaimBatch> {
    const argv = this.scriptArgs(queue);
    pushClaimArgs(argv, request);
    argv.push(request.idle?.token ?? '', request.idle?.waitMs ?? 0);
    const reply = (await this.script('claim', argv)) as unknown[];
    const registered = reply.pop() === 1;
    return parseClaim(reply, registered);
  }

  async finish(queue: string, items: readonly FinishItem[], next: ClaimRequest): Promise<FinishReply> {
    const { completed, failed } = this.options.retention;
    const argv = this.scriptArgs(queue);
    argv.push(completed.ageMs, completed.keep, failed.ageMs, failed.keep);
    pushClaimArgs(argv, next);
    argv.push(items.length);
    for (let i = 0; i < items.length; i++) {
      const { localId, token, outcome } = items[i] as FinishItem;
      const payload = outcome.kind === 'completed' ? outcome.result : outcome.kind === 'release' ? '' : outcome.error;
      argv.push(localId, token, outcome.kind, payload, outcome.kind === 'retry' ? outcome.delayMs : 0);
    }
    const reply = (await this.script('finish', argv)) as [string[], unknown[]];
    const states: Array<JobState | undefined> = [];
    for (const state of reply[0]) states.push(state === '' ? undefined : (state as JobState));
    return { states, next: parseClaim(reply[1]) };
  }

  async extend(
    queue: string,
    leases: ReadonlyArray<{ localId: string; token: string }>,
    leaseMs: number,
  ): Promise<LeaseStatus[]> {
    if (leases.length === 0) return [];
    const argv = this.scriptArgs(queue);
    argv.push(leaseMs);
    for (const lease of leases) argv.push(lease.localId, lease.token);
    return (await this.script('extend', argv)) as LeaseStatus[];
  }

  async progress(queue: string, localId: string, token: string, progress: string): Promise<boolean> {
    const argv = this.scriptArgs(queue);
    argv.push(localId, token, progress);
    return (await this.script('progress', argv)) === 1;
  }

  async appendLogs(
    queue: string,
    localId: string,
    token: string,
    lines: readonly string[],
    keep: number,
  ): Promise<boolean> {
    const argv = this.scriptArgs(queue);
    argv.push(localId, token, keep, ...lines);
    return (await this.script('append-log', argv)) === 1;
  }

  async readLogs(queue: string, localId: string, offset: number, count: number): Promise<RawLogPage | undefined> {
    const k = this.keys.queue(queue);
    const logKey = k.logBase + localId;
    // One MULTI (both keys share the queue's slot): the job and its log as of one moment.
    const replies = await this.run(() =>
      this.redis
        .multi()
        .exists(k.jobBase + localId)
        .llen(logKey)
        .lrange(logKey, offset, offset + count - 1)
        .exec(),
    );
    const [exists, total, lines] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [number, number, string[]];
    return exists === 1 ? { lines, total } : undefined;
  }

  async maintain(queue: string): Promise<number> {
    const { completed, failed } = this.options.retention;
    const argv = this.scriptArgs(queue);
    argv.push(this.options.maxStalls, completed.ageMs, completed.keep, failed.ageMs, failed.keep, 500);
    const reply = (await this.script('maintain', argv)) as number[];
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
      await this.blocking.call(signal, (client) => client.blpop(k.marker, seconds));
      return undefined;
    }
    const inbox = k.inbox(idleToken);
    const popped = await this.blocking.call(signal, (client) => client.blpop(inbox, k.marker, seconds));
    if (!popped || popped[0] !== inbox) return undefined;
    // A claim reply encoded by includes/handoff.lua (cjson writes absent fields as false, which
    // parseClaim reads as absent); its first item, '1' (1 from an engine before 2026-12), says whether the
    // loop is still registered.
    const reply = JSON.parse(popped[1]) as unknown[];
    return parseClaim(reply, reply[0] === '1' || reply[0] === 1);
  }

  async cancel(queue: string, localId: string, graceMs: number): Promise<JobState | undefined> {
    const argv = this.scriptArgs(queue);
    const { failed } = this.options.retention;
    argv.push(localId, graceMs, this.keys.queue(queue).cancelChannel, failed.ageMs, failed.keep);
    const state = (await this.script('cancel', argv)) as string;
    return state === '' ? undefined : (state as JobState);
  }

  async retry(queue: string, localId: string): Promise<JobState | undefined> {
    const argv = this.scriptArgs(queue);
    argv.push(localId);
    const state = (await this.script('retry', argv)) as string;
    return state === '' ? undefined : (state as JobState);
  }

  async promote(queue: string, localId: string): Promise<JobState | undefined> {
    const argv = this.scriptArgs(queue);
    argv.push(localId);
    const state = (await this.script('promote', argv)) as string;
    return state === '' ? undefined : (state as JobState);
  }

  async remove(queue: string, localId: string): Promise<JobState | undefined> {
    const argv = this.scriptArgs(queue);
    argv.push(localId);
    const state = (await this.script('remove', argv)) as string;
    return state === '' ? undefined : (state as JobState);
  }

  async changeMany(
    queue: string,
    action: BulkAction,
    state: BulkState,
    name: string | undefined,
    offset: number,
    count: number,
  ): Promise<BulkStep> {
    const argv = this.scriptArgs(queue);
    argv.push(action, state, name ?? '', offset, count);
    const [scanned = 0, changed = 0, dropped = 0] = (await this.script('change-many', argv)) as number[];
    return { scanned, changed, dropped };
  }

  async removeWaiting(queue: string, localIds: readonly string[], name: string | undefined): Promise<BulkStep> {
    if (localIds.length === 0) return { scanned: 0, changed: 0, dropped: 0 };
    const argv = this.scriptArgs(queue);
    argv.push(name ?? '', ...localIds);
    const [scanned = 0, changed = 0, dropped = 0] = (await this.script('remove-waiting', argv)) as number[];
    return { scanned, changed, dropped };
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
      reply = (await this.blocking.call(controller, (client) =>
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
    const byChannel = new Map(queues.map((queue) => [this.keys.queue(queue).cancelChannel, queue]));
    // A cancel published while the subscription is broken is lost; the heartbeat reply covers the gap.
    return subscribe(this.connection, 'jobs-cancel', [...byChannel.keys()], {
      onMessage: (channel, localId) => {
        const queue = byChannel.get(channel);
        if (queue !== undefined) onCancel(queue, localId);
      },
      onGap: () => undefined,
    });
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
    this.blocking.close();
  }

  /**
   * The start of a script call's argument list (see runScript): a place for the sha, the queue's keys,
   * and the arguments every script takes first.
   */
  private scriptArgs(queue: string): Array<string | number> {
    const k = this.keys.queue(queue);
    const { eventsMaxLength, groupConcurrency } = this.options;
    return ['', k.scriptKeys.length, ...k.scriptKeys, k.jobBase, eventsMaxLength, groupConcurrency];
  }

  /** Runs a script with `argv` from scriptArgs plus its own arguments. */
  private script(name: ScriptName, argv: Array<string | number>): Promise<unknown> {
    return this.run(() => runScript(this.redis, name, argv));
  }

  private async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.connection.unavailable(error);
    }
  }
}

/** Jobs per `add` script call (12 ARGV each). */
const ADD_SLICE = 1000;

/**
 * Every Redis key of the jobs component is built here. All keys of one queue share the hash tag
 * `{<queue>}` so a queue lives in one Redis Cluster slot and its Lua scripts stay atomic there. Names are
 * one letter on purpose: they repeat in every job hash key, and bytes per waiting job are benchmarked.
 */
export interface QueueKeys {
  /** Prefix of job hashes; a job's key is this plus its local id. */
  readonly jobBase: string;
  /** Prefix of job logs (lists); a job's is this plus its local id (built the same way by includes/retention.lua). */
  readonly logBase: string;
  /** The keys every script takes: the meta key, from which includes/queue.lua derives the rest. */
  readonly scriptKeys: readonly string[];
  readonly meta: string;
  readonly waiting: string;
  readonly prioritized: string;
  readonly delayed: string;
  readonly active: string;
  readonly completed: string;
  readonly failed: string;
  readonly cancelled: string;
  readonly events: string;
  readonly marker: string;
  /** The list of a group's waiting jobs (built the same way by includes/groups.lua `key`). */
  groupList(group: string): string;
  /** Pub/sub channel of final events (built the same way by includes/queue.lua `emit`). */
  readonly doneChannel: string;
  /** The list where jobs handed to an idle fetch loop arrive (built the same way by includes/handoff.lua). */
  inbox(idleToken: string): string;
  /** Pub/sub channel that tells workers an active job was cancelled. */
  readonly cancelChannel: string;
}

export interface JobsKeys {
  queue(name: string): QueueKeys;
  /** Hash of live workers (field: worker id, value: JSON), shared by all queues. */
  readonly workers: string;
  /** Set of the queue names ever used, for listings. */
  readonly queues: string;
}

export function jobsKeys(keyPrefix: string): JobsKeys {
  const cache = new Map<string, QueueKeys>();
  return {
    workers: `${keyPrefix}:jobs:workers`,
    queues: `${keyPrefix}:jobs:queues`,
    queue(name) {
      let keys = cache.get(name);
      if (keys) return keys;
      const base = `${keyPrefix}:j:{${name}}:`;
      const k = (suffix: string): string => base + suffix;
      const meta = k('m');
      const waiting = k('w');
      const prioritized = k('p');
      const delayed = k('d');
      const active = k('a');
      const completed = k('c');
      const failed = k('f');
      const cancelled = k('x');
      const events = k('e');
      const marker = k('k');
      keys = {
        jobBase: k('j:'),
        logBase: k('l:'),
        groupList: (group) => `${k('j:')}g:${group}`,
        doneChannel: `${k('j:')}done`,
        inbox: (idleToken) => `${k('j:')}~in:${idleToken}`,
        meta,
        waiting,
        prioritized,
        delayed,
        active,
        completed,
        failed,
        cancelled,
        events,
        marker,
        cancelChannel: k('cancel'),
        // One key: the scripts derive the queue's others from it (includes/queue.lua).
        scriptKeys: [meta],
      };
      cache.set(name, keys);
      return keys;
    },
  };
}

import type { RedisClient } from '../redis/client.js';
import type { QueueKeys } from './keys.js';

interface Source {
  size(): Promise<number>;
  range(from: number, to: number): Promise<string[]>;
}

/**
 * Waiting jobs of a queue on Redis in listing order: prioritized, plain, then each group's list (groups
 * sorted by name; the meta fields `gw:<group>` name the groups that have waiting jobs, so no key scan).
 * `offset` counts over that whole sequence.
 */
export async function listWaiting(redis: RedisClient, k: QueueKeys, offset: number, count: number): Promise<string[]> {
  const meta = await redis.hgetall(k.meta);
  const groups = Object.keys(meta)
    .filter((field) => field.startsWith('gw:'))
    .map((field) => field.slice(3))
    .sort();
  const list = (key: string): Source => ({
    size: () => redis.llen(key),
    range: (from, to) => redis.lrange(key, from, to),
  });
  const sources: Source[] = [
    {
      size: () => redis.zcard(k.prioritized),
      range: (from, to) => redis.zrange(k.prioritized, String(from), String(to)),
    },
    list(k.waiting),
    ...groups.map((group) => list(k.groupList(group))),
  ];
  const ids: string[] = [];
  let skip = offset;
  for (const source of sources) {
    if (ids.length >= count) break;
    const size = await source.size();
    if (skip >= size) {
      skip -= size;
      continue;
    }
    ids.push(...(await source.range(skip, skip + count - ids.length - 1)));
    skip = 0;
  }
  return ids;
}

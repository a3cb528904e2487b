import type { Redis } from 'ioredis';

/** The figures of `INFO` that status pages and health checks show. */
export interface RedisInfo {
  version: string;
  mode: string;
  uptimeSeconds: number;
  usedMemoryBytes: number;
  peakMemoryBytes: number;
  /** 0 means no limit. */
  maxMemoryBytes: number;
  maxmemoryPolicy: string;
  connectedClients: number;
  opsPerSecond: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  /** hits / (hits + misses), or null before any read. */
  keyspaceHitRatio: number | null;
  /** Keys per database, as in `{ db0: 12 }`. */
  keys: Record<string, number>;
}

/** Splits INFO text into `field -> value`, ignoring section headers. */
export function parseInfoText(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

export function toRedisInfo(fields: Map<string, string>): RedisInfo {
  const num = (name: string): number => {
    const value = Number(fields.get(name));
    return Number.isFinite(value) ? value : 0;
  };
  const keys: Record<string, number> = {};
  for (const [field, value] of fields) {
    if (!/^db\d+$/.test(field)) continue;
    const match = /keys=(\d+)/.exec(value);
    keys[field] = match ? Number(match[1]) : 0;
  }
  const hits = num('keyspace_hits');
  const misses = num('keyspace_misses');
  return {
    version: fields.get('redis_version') ?? fields.get('valkey_version') ?? 'unknown',
    mode: fields.get('redis_mode') ?? fields.get('server_mode') ?? 'standalone',
    uptimeSeconds: num('uptime_in_seconds'),
    usedMemoryBytes: num('used_memory'),
    peakMemoryBytes: num('used_memory_peak'),
    maxMemoryBytes: num('maxmemory'),
    maxmemoryPolicy: fields.get('maxmemory_policy') ?? 'unknown',
    connectedClients: num('connected_clients'),
    opsPerSecond: num('instantaneous_ops_per_sec'),
    keyspaceHits: hits,
    keyspaceMisses: misses,
    keyspaceHitRatio: hits + misses === 0 ? null : hits / (hits + misses),
    keys,
  };
}

export async function readRedisInfo(client: Redis): Promise<RedisInfo> {
  const text = await client.info();
  return toRedisInfo(parseInfoText(text));
}

/** Policies under which Redis may drop keys we still need (a queue must never lose one). */
export function policyMayEvict(policy: string): boolean {
  return policy !== 'noeviction' && policy !== 'unknown';
}

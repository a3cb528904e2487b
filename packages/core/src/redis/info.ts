import type { Cluster, Redis } from 'ioredis';
import { keyspaceNodes } from './keyspace.js';

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
  /**
   * Redis Cluster only: each master's own figures, by address. The figures above are then the masters'
   * sums (memory, clients, ops, hits, misses, keys), the oldest uptime, and the first master's version,
   * maxmemory and policy (a cluster's nodes are meant to share one configuration).
   */
  nodes?: Array<RedisInfo & { address: string }>;
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

/** INFO of every master of a cluster, summed (see `RedisInfo.nodes`); rejects if one master fails. */
export async function readClusterInfo(cluster: Cluster): Promise<RedisInfo> {
  const masters = keyspaceNodes(cluster);
  const nodes = await Promise.all(
    masters.map(async (node) => ({
      ...(await readRedisInfo(node)),
      address: `${node.options.host ?? ''}:${node.options.port ?? ''}`,
    })),
  );
  nodes.sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
  return sumNodes(nodes);
}

function sumNodes(nodes: Array<RedisInfo & { address: string }>): RedisInfo {
  const [first] = nodes as [RedisInfo & { address: string }];
  const total = (pick: (info: RedisInfo) => number): number => nodes.reduce((sum, info) => sum + pick(info), 0);
  const keys: Record<string, number> = {};
  for (const node of nodes) for (const [db, count] of Object.entries(node.keys)) keys[db] = (keys[db] ?? 0) + count;
  const hits = total((info) => info.keyspaceHits);
  const misses = total((info) => info.keyspaceMisses);
  return {
    version: first.version,
    mode: 'cluster',
    uptimeSeconds: Math.max(...nodes.map((info) => info.uptimeSeconds)),
    usedMemoryBytes: total((info) => info.usedMemoryBytes),
    peakMemoryBytes: total((info) => info.peakMemoryBytes),
    maxMemoryBytes: first.maxMemoryBytes,
    maxmemoryPolicy: first.maxmemoryPolicy,
    connectedClients: total((info) => info.connectedClients),
    opsPerSecond: total((info) => info.opsPerSecond),
    keyspaceHits: hits,
    keyspaceMisses: misses,
    keyspaceHitRatio: hits + misses === 0 ? null : hits / (hits + misses),
    keys,
    nodes,
  };
}

/** Policies under which Redis may drop keys we still need (a queue must never lose one). */
export function policyMayEvict(policy: string): boolean {
  return policy !== 'noeviction' && policy !== 'unknown';
}

/** The oldest Redis backplane runs on: the cache's tag index uses `PEXPIRE … NX | GT` (7.0). */
export const MIN_REDIS_VERSION = { major: 7, minor: 0 } as const;

/**
 * A warning when a server (or, on a cluster, any master) is older than `MIN_REDIS_VERSION`, else
 * undefined. Versions it cannot read are not warned about.
 */
export function redisVersionWarning(info: RedisInfo): string | undefined {
  const servers = info.nodes ?? [info];
  const old = servers.filter((server) => {
    const match = /^(\d+)\.(\d+)/.exec(server.version);
    if (!match) return false;
    const major = Number(match[1]);
    return (
      major < MIN_REDIS_VERSION.major ||
      (major === MIN_REDIS_VERSION.major && Number(match[2]) < MIN_REDIS_VERSION.minor)
    );
  });
  if (old.length === 0) return undefined;
  const versions = [...new Set(old.map((server) => server.version))].join(', ');
  return (
    `Redis ${versions} is older than ${MIN_REDIS_VERSION.major}.${MIN_REDIS_VERSION.minor}, which backplane needs ` +
    '(cache tags and job claims use commands added in 6.2 and 7.0); upgrade Redis'
  );
}

import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './client.js';

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

const SLOTS = 16_384;

/**
 * The servers that together hold the keyspace: every master of a cluster, or the one server. On a
 * cluster it throws unless every slot has a master with a connection in ioredis' pool: the pool drops a
 * node whose connection ended, and a scan that silently skipped it would leave its keys behind.
 */
export function keyspaceNodes(client: RedisClient): Redis[] {
  if (!isCluster(client)) return [client];
  const masters = client.nodes('master');
  const connected = new Set(masters.map((node) => `${node.options.host ?? ''}:${node.options.port ?? ''}`));
  let covered = 0;
  const unreachable = new Set<string>();
  for (let slot = 0; slot < SLOTS; slot += 1) {
    const owner = client.slots[slot]?.[0];
    if (owner === undefined) continue;
    covered += 1;
    if (!connected.has(owner)) unreachable.add(owner);
  }
  if (covered < SLOTS) throw new Error(`${SLOTS - covered} of ${SLOTS} cluster slots have no known master`);
  if (unreachable.size > 0) throw new Error(`${unreachable.size} cluster master(s) have no connection`);
  return masters;
}

/**
 * Every key that matches `pattern`, a batch per SCAN step, from each master in turn. Never KEYS: a large
 * keyspace never blocks a server. Each node's own SCAN only returns keys of the slots it serves, so the
 * batches of several masters never overlap; a key moved by resharding during the scan may be missed.
 */
export async function* scanKeys(client: RedisClient, pattern: string, count: number): AsyncGenerator<string[]> {
  for (const node of keyspaceNodes(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/**
 * Deletes keys with UNLINK (the memory is freed off the main thread), one key per command: keys of
 * different slots may not share a command on a cluster node (CROSSSLOT), even a node reached through a
 * plain redis:// URL. Auto-pipelining still sends a batch in one round trip per node.
 */
export async function unlinkKeys(client: RedisClient, keys: readonly string[]): Promise<number> {
  const counts = await Promise.all(keys.map((key) => client.unlink(key)));
  return counts.reduce((sum, count) => sum + count, 0);
}

import { spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';

export interface RedisClusterOptions {
  /** Masters to start; a cluster needs at least 3. @default 3 */
  masters?: number;
  /** Sets `requirepass` on every node; the handle's `url` then carries it. */
  password?: string;
  /** Further redis-server arguments for every node. */
  args?: string[];
  /** @default 'redis-server' */
  binary?: string;
  /** @default 'redis-cli' */
  cliBinary?: string;
}

/** A private Redis Cluster of masters without replicas, on free loopback ports, owned by one test file. */
export interface RedisClusterHandle {
  /** Every node, in the order the cluster was created. */
  readonly nodes: readonly RedisServerHandle[];
  /** `redis+cluster://[:password@]127.0.0.1:p1,127.0.0.1:p2,…`, listing every node as a seed. */
  readonly url: string;
  /** Stops every node (SIGTERM) and waits for them to exit; idempotent. */
  stop(): Promise<void>;
}

/**
 * Why Redis Cluster tests cannot run here, or `undefined` when they can: they need redis-server and
 * redis-cli (Debian's redis-tools, which redis-server depends on). Under `CI=true` a missing binary is an
 * error, never a silent skip.
 */
export function redisClusterSkipReason(binary = 'redis-server', cliBinary = 'redis-cli'): string | undefined {
  const missing = [binary, cliBinary].filter(
    (name) => spawnSync(name, ['--version'], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length === 0) return undefined;
  const what = missing.join(' and ');
  if (process.env.CI === 'true') throw new Error(`${what} not installed, and CI=true requires the Redis tests to run`);
  return `${what} not installed (apt-get install redis-server); Redis Cluster tests skipped`;
}

/**
 * Starts `masters` redis-servers with cluster mode on (each in its own temp dir, no persistence), joins
 * them with `redis-cli --cluster create` (slots spread evenly, no replicas), and resolves once every
 * node reports `cluster_state:ok`.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  if (masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
  const nodeArgs = ['--cluster-enabled', 'yes', '--cluster-node-timeout', '5000', ...(options.args ?? [])];
  const started = await Promise.allSettled(
    Array.from({ length: masters }, () =>
      startRedisServer({
        args: nodeArgs,
        ...(options.password === undefined ? {} : { password: options.password }),
        ...(options.binary === undefined ? {} : { binary: options.binary }),
      }),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.allSettled(nodes.map((node) => node.stop()));
  };
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  try {
    await createCluster(nodes, options);
    await Promise.all(nodes.map((node) => waitForClusterOk(node, options.password)));
  } catch (error) {
    await stop();
    throw error;
  }
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    nodes,
    url: `redis+cluster://${auth}${nodes.map((node) => `${node.host}:${node.port}`).join(',')}`,
    stop,
  };
}

async function createCluster(nodes: readonly RedisServerHandle[], options: RedisClusterOptions): Promise<void> {
  const addresses = nodes.map((node) => `${node.host}:${node.port}`);
  const env = { ...process.env };
  // The password goes through the environment, not the command line that `ps` shows.
  if (options.password) env.REDISCLI_AUTH = options.password;
  const child = spawn(
    options.cliBinary ?? 'redis-cli',
    ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-2000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    throw new Error(`redis-cli --cluster create exited (${code}): ${output.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/** Polls CLUSTER INFO until the node sees every slot served (the nodes agree through gossip). */
async function waitForClusterOk(
  node: RedisServerHandle,
  password: string | undefined,
  timeoutMs = 20_000,
): Promise<void> {
  const client = new Redis({
    host: node.host,
    port: node.port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    ...(password === undefined ? {} : { password }),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const info = (await client.call('CLUSTER', 'INFO')) as string;
      if (info.includes('cluster_state:ok')) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`cluster node on port ${node.port} did not reach cluster_state:ok within ${timeoutMs} ms`);
  } finally {
    client.disconnect();
  }
}

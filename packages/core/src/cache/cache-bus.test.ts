import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import type { Cache } from './cache.js';
import { cacheReady, createCache } from './create-cache.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PEER = fileURLToPath(new URL('./fixtures/bus-peer.ts', import.meta.url));

/** The peer process and a way to send it one command and read its one-line answer. */
function startPeer(
  url: string,
  keyPrefix: string,
): { ask(command: object): Promise<Record<string, unknown>>; child: ChildProcessWithoutNullStreams } {
  const child = spawn(process.execPath, ['--import', 'tsx', PEER, url, keyPrefix], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const timeout = sleep(15_000).then(() => {
      throw new Error(`peer did not answer: ${stderr}`);
    });
    const line = await Promise.race([lines.next(), timeout]);
    if (line.done) throw new Error(`peer exited: ${stderr}`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  let chain: Promise<unknown> = next(); // the { ready: true } line
  return {
    child,
    ask: (command) => {
      const answer = chain.then(() => {
        child.stdin.write(`${JSON.stringify(command)}\n`);
        return next();
      });
      chain = answer.catch(() => undefined);
      return answer;
    },
  };
}

describe('cache bus between two real processes', { skip: redisSkipReason() ?? false }, () => {
  let server: RedisServerHandle;
  let connection: RedisConnection;
  let cache: Cache;
  let peer: ReturnType<typeof startPeer>;
  const keyPrefix = `t-${randomUUID()}`;

  before(async () => {
    server = await startRedisServer();
    connection = new RedisConnection({ name: 'cache', url: server.url });
    await connection.connect();
    await connection.waitUntilUp();
    cache = createCache({ connection, keyPrefix, ttl: '1h' });
    await cacheReady(cache);
    peer = startPeer(server.url, keyPrefix);
  });

  after(async () => {
    peer.child.stdin.end(`${JSON.stringify({ op: 'exit' })}\n`);
    await Promise.race([new Promise((resolve) => peer.child.once('exit', resolve)), sleep(5_000)]);
    peer.child.kill('SIGKILL');
    await cache.close();
    await connection.close();
    await server.stop();
  });

  it('drops from the other L1 what this process overwrote, deleted, or invalidated by tag and prefix', async () => {
    await cache.set('greeting', 'v1', { tags: ['t1'] });
    assert.deepEqual(
      await peer.ask({ op: 'get', key: 'greeting' }),
      { value: 'v1' },
      'the peer now holds v1 in its L1',
    );
    await cache.set('greeting', 'v2', { tags: ['t1'] });
    await sleep(100);
    assert.deepEqual(await peer.ask({ op: 'get', key: 'greeting' }), { value: 'v2' }, 'overwrite reached the peer');

    await cache.delete('greeting');
    await sleep(100);
    assert.deepEqual(await peer.ask({ op: 'get', key: 'greeting' }), { value: null }, 'delete reached the peer');

    await cache.set('tagged', 'x', { tags: ['team:7'] });
    assert.deepEqual(await peer.ask({ op: 'get', key: 'tagged' }), { value: 'x' });
    await cache.invalidateTags(['team:7']);
    await sleep(100);
    assert.deepEqual(
      await peer.ask({ op: 'get', key: 'tagged' }),
      { value: null },
      'tag invalidation reached the peer',
    );

    await cache.set('report:1', 'r1');
    assert.deepEqual(await peer.ask({ op: 'get', key: 'report:1' }), { value: 'r1' });
    await cache.invalidatePrefix('report:');
    await sleep(100);
    assert.deepEqual(
      await peer.ask({ op: 'get', key: 'report:1' }),
      { value: null },
      'prefix invalidation reached the peer',
    );
  });

  it('flushes the L1 of a process whose bus connection dropped, once it is back', async () => {
    await cache.set('a', 'old');
    await cache.set('b', 'kept?');
    assert.deepEqual(await peer.ask({ op: 'get', key: 'a' }), { value: 'old' });
    assert.deepEqual(await peer.ask({ op: 'get', key: 'b' }), { value: 'kept?' });
    assert.deepEqual(await peer.ask({ op: 'stats' }), { l1: 2 });

    // Cut every subscriber (ours and the peer's); what is published meanwhile is lost.
    await connection.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await cache.set('a', 'new');
    await sleep(100);
    assert.deepEqual(await peer.ask({ op: 'ready' }), { ready: true });
    await sleep(200);
    assert.deepEqual(await peer.ask({ op: 'stats' }), { l1: 0 }, 'the whole L1 was flushed as suspect');
    assert.deepEqual(await peer.ask({ op: 'get', key: 'a' }), { value: 'new' });
  });
});

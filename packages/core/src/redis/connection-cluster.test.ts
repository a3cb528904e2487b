import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RedisCacheStore } from '../cache/redis-store.js';
import { createLogger } from '../logger.js';
import { redisClusterSkipReason, startRedisCluster, type RedisClusterHandle } from '../testing/redis-cluster.js';
import { RedisConnection, type Availability } from './connection.js';

const PASSWORD = 'cluster-pa55-never-logged';

function captureLogs(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { logger: createLogger({ level: 'trace', destination }), text: () => text };
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`not within ${timeoutMs} ms: ${what}`);
}

describe('RedisConnection to a 3-master Redis Cluster', { skip: redisClusterSkipReason() ?? false }, () => {
  let cluster: RedisClusterHandle;
  before(async () => {
    cluster = await startRedisCluster({ password: PASSWORD });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('is up, reads INFO of every master, and never shows the password', async () => {
    const { logger, text } = captureLogs();
    const connection = new RedisConnection({ name: 'cache', url: cluster.url, logger });
    try {
      await connection.connect();
      await connection.waitUntilUp(5000);
      assert.equal(connection.cluster, true);
      await Promise.all(Array.from({ length: 90 }, (_, i) => connection.redis.set(`conn-test:${i}`, 'v')));
      const info = await connection.info();
      assert.equal(info.mode, 'cluster');
      assert.equal(info.nodes?.length, 3);
      assert.equal(
        info.keys.db0,
        info.nodes?.reduce((sum, node) => sum + (node.keys.db0 ?? 0), 0),
        'the key count is the sum over the masters',
      );
      assert.ok((info.keys.db0 ?? 0) >= 90);
      assert.ok(
        info.nodes?.every((node) => (node.keys.db0 ?? 0) > 0),
        'keys on every master',
      );
      const shown = JSON.stringify(connection.status()) + JSON.stringify(info) + text();
      assert.ok(!shown.includes(PASSWORD));
      assert.ok(!shown.includes(encodeURIComponent(PASSWORD)));
    } finally {
      await connection.close();
    }
  });

  it('is not up while a master is down, refuses to scan past it, and is up again once it is back', async () => {
    const seen: Availability[] = [];
    const connection = new RedisConnection({ name: 'cache', url: cluster.url, probeIntervalMs: 200 });
    connection.on('availability', (current) => seen.push(current));
    const store = new RedisCacheStore(connection, { keyPrefix: `t-${randomUUID()}` });
    const victim = cluster.nodes[1];
    assert.ok(victim);
    try {
      await connection.connect();
      await connection.waitUntilUp(5000);
      await Promise.all(Array.from({ length: 60 }, (_, i) => store.set(`k:${i}`, Buffer.from('v'), 60_000)));

      await victim.kill();
      await until(() => connection.availability !== 'up', 'the connection left up');
      // A scan that skipped the dead master would report success and leave its keys behind.
      await assert.rejects(store.deleteByPrefix('k:'), { code: 'E_REDIS_UNAVAILABLE' });

      await victim.start();
      await until(() => connection.availability === 'up', 'the connection came back up');
      assert.ok(
        seen.some((state) => state !== 'up'),
        `went through ${seen.join(' -> ')}`,
      );
      // The failed run may have removed the keys of the masters it scanned before the dead one; the
      // restarted master kept its slots (nodes.conf) but lost its data. Now a run goes through.
      await store.set('k:after', Buffer.from('v'), 60_000);
      assert.ok((await store.deleteByPrefix('k:')) >= 1);
      for (let i = 0; i < 60; i += 1) assert.equal(await store.has(`k:${i}`), false, `k:${i}`);
      assert.equal(await store.has('k:after'), false);
    } finally {
      await store.close();
      await connection.close();
      if (!victim.running) await victim.start();
    }
  });

  it('reports a wrong password without ever showing it', async () => {
    const { logger, text } = captureLogs();
    const wrong = `${PASSWORD}x`;
    const url = cluster.url.replace(encodeURIComponent(PASSWORD), encodeURIComponent(wrong));
    const connection = new RedisConnection({ name: 'jobs', url, probeIntervalMs: 100, logger });
    try {
      await connection.connect();
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.notEqual(connection.availability, 'up');
      const error = await connection.info().then(
        () => assert.fail('INFO succeeded with a wrong password'),
        (caught: unknown) => caught as Error & { code?: string },
      );
      assert.equal(error.code, 'E_REDIS_UNAVAILABLE');
      const shown = [text(), String(error), error.stack ?? '', JSON.stringify(connection.status())].join('\n');
      assert.match(shown, /redis error|WRONGPASS|NOAUTH|invalid|refresh/i, 'the failure was reported');
      assert.ok(!shown.includes(PASSWORD), 'no password leaked');
    } finally {
      await connection.close();
    }
  });

  it('lets the process exit when it is closed while its periodic slot refresh is in flight', async () => {
    // ioredis' own refresh interval scheduled its next round after such a close, then one every 5 s for
    // ever, and the process never exited.
    const script = fileURLToPath(new URL('./fixtures/close-during-refresh.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CLUSTER_URL: cluster.url },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // The first periodic refresh comes after 5 s; the process should end right after it.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const ended = await new Promise<number | string | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    clearTimeout(killer);
    assert.equal(output.trim(), 'closed during a refresh');
    assert.equal(ended, 0, 'the process did not exit on its own');
  });
});

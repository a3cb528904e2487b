import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../logger.js';
import { freePort, redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { createRedisClient, reconnectDelay } from './client.js';
import { parseRedisUrl } from './url.js';
import { RedisConnection, type Availability } from './connection.js';

const PASSWORD = 'pa55-w0rd-never-logged';

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

function nextAvailability(connection: RedisConnection, wanted: Availability, timeoutMs: number): Promise<number> {
  const started = Date.now();
  if (connection.availability === wanted) return Promise.resolve(0);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ${wanted} within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    connection.on('availability', (current) => {
      if (current !== wanted) return;
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

describe('reconnectDelay', () => {
  it('grows exponentially to the ceiling with jitter in the upper half', () => {
    assert.equal(
      reconnectDelay(0, 2000, () => 0),
      25,
    );
    assert.equal(
      reconnectDelay(0, 2000, () => 1),
      50,
    );
    assert.equal(
      reconnectDelay(3, 2000, () => 1),
      400,
    );
    assert.equal(
      reconnectDelay(30, 2000, () => 0),
      1000,
    );
    assert.equal(
      reconnectDelay(30, 2000, () => 1),
      2000,
    );
  });
});

describe('createRedisClient options', () => {
  it('pipelines automatically unless told not to (the jobs connection)', () => {
    const target = parseRedisUrl('redis://127.0.0.1:1');
    const pipelined = createRedisClient(target, 't');
    const direct = createRedisClient(target, 't', { autoPipelining: false });
    assert.equal(pipelined.options.enableAutoPipelining, true);
    assert.equal(direct.options.enableAutoPipelining, false);
    pipelined.disconnect();
    direct.disconnect();
  });
});

describe('RedisConnection against a private redis-server', { skip: redisSkipReason() }, () => {
  let redis: RedisServerHandle;
  before(async () => {
    redis = await startRedisServer({ password: PASSWORD });
  });
  after(async () => {
    await redis?.stop();
  });

  it('is up with a latency, and reads INFO figures', async () => {
    const connection = new RedisConnection({ name: 'cache', url: redis.url });
    try {
      await connection.connect();
      await connection.waitUntilUp(3000);
      const status = connection.status();
      assert.equal(status.availability, 'up');
      assert.equal(typeof status.latencyMs, 'number');
      const info = await connection.info();
      assert.match(info.version, /^\d+\.\d+/);
      assert.equal(info.mode, 'standalone');
      assert.ok(info.usedMemoryBytes > 0);
      assert.ok(info.connectedClients >= 1);
    } finally {
      await connection.close();
    }
  });

  it('goes down when Redis stops, fails calls fast, and comes back by itself', async () => {
    const connection = new RedisConnection({ name: 'jobs', url: redis.url, probeIntervalMs: 200 });
    try {
      await connection.connect();
      await connection.waitUntilUp(3000);
      const down = nextAvailability(connection, 'down', 5000);
      await redis.stop();
      await down;

      const started = performance.now();
      await assert.rejects(connection.client.get('k'), Error);
      const failedAfter = performance.now() - started;
      assert.ok(failedAfter < 200, `a call to a dead Redis took ${failedAfter} ms`);
      await assert.rejects(connection.info(), { code: 'E_REDIS_UNAVAILABLE' });

      const up = nextAvailability(connection, 'up', 5000);
      await redis.start();
      await up;
      assert.equal(await connection.client.set('k', 'v'), 'OK');
    } finally {
      await connection.close();
      await redis.start();
    }
  });

  it('starts while Redis is down (down, not crashed) and recovers when it appears', async () => {
    const port = await freePort();
    const connection = new RedisConnection({ name: 'cache', url: `redis://127.0.0.1:${port}`, probeIntervalMs: 200 });
    try {
      await connection.connect();
      assert.equal(connection.availability, 'down');
      const late = await startRedisServer({ port });
      try {
        await nextAvailability(connection, 'up', 5000);
      } finally {
        await late.stop();
      }
    } finally {
      await connection.close();
    }
  });

  it('never logs or throws the password, even while Redis is unreachable', async () => {
    const { logger, text } = captureLogs();
    const port = await freePort();
    const unreachable = new RedisConnection({
      name: 'cache',
      url: `redis://user1:${PASSWORD}@127.0.0.1:${port}/2`,
      probeIntervalMs: 100,
      logger,
    });
    const wrongPassword = new RedisConnection({
      name: 'jobs',
      url: `redis://:${PASSWORD}x@127.0.0.1:${redis.port}`,
      probeIntervalMs: 100,
      logger,
    });
    try {
      await Promise.all([unreachable.connect(), wrongPassword.connect()]);
      await new Promise((resolve) => setTimeout(resolve, 600));
      const errors: string[] = [];
      for (const connection of [unreachable, wrongPassword]) {
        try {
          await connection.info();
        } catch (error) {
          errors.push(String(error), JSON.stringify(error), (error as Error).stack ?? '');
        }
        errors.push(JSON.stringify(connection.status()));
      }
      const logged = text();
      assert.match(logged, /redis error/, 'the outage was logged');
      assert.match(logged, /ECONNREFUSED/);
      assert.match(logged + errors.join('\n'), /WRONGPASS|NOAUTH|invalid/i, 'the auth failure was reported');
      for (const output of [logged, ...errors]) {
        assert.ok(!output.includes(PASSWORD), `password leaked in: ${output.slice(0, 300)}`);
        assert.ok(!output.includes(encodeURIComponent(PASSWORD)));
      }
    } finally {
      await unreachable.close();
      await wrongPassword.close();
    }
  });

  it('fails a command within its budget against a Redis that accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const hung: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const address = hung.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const connection = new RedisConnection({
      name: 'cache',
      url: `redis://127.0.0.1:${port}`,
      commandTimeoutMs: 150,
      connectTimeoutMs: 300,
    });
    try {
      const started = performance.now();
      await connection.connect();
      assert.notEqual(connection.availability, 'up');
      await assert.rejects(connection.info(), { code: 'E_REDIS_UNAVAILABLE' });
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 3000, `a hung Redis held the caller for ${elapsed} ms`);
    } finally {
      await connection.close();
      for (const socket of sockets) socket.destroy();
      hung.close();
    }
  });

  it('with stallWatch, fails waiting commands when Redis stops answering, then works again', async () => {
    const connection = new RedisConnection({ name: 'jobs', url: redis.url, commandTimeoutMs: 150, stallWatch: true });
    const pauser = createRedisClient(parseRedisUrl(redis.url), 'test-pauser');
    try {
      await connection.connect();
      await pauser.connect();
      // Steady traffic that outlasts several budgets is not a stall.
      const reconnects: number[] = [];
      connection.client.on('reconnecting', () => reconnects.push(Date.now()));
      const until = Date.now() + 600;
      while (Date.now() < until) await connection.client.set('stall-key', 'v');
      assert.deepEqual(reconnects, []);
      // The server stops answering everyone for 1.5 s.
      await pauser.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const started = performance.now();
      await assert.rejects(connection.client.get('stall-key'));
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1000, `a stalled connection held the caller for ${elapsed} ms`);
      // After the pause, the client reconnects and serves again.
      const deadline = Date.now() + 5000;
      let value: string | null = null;
      while (value === null && Date.now() < deadline) {
        value = await connection.client.get('stall-key').catch(() => null);
        if (value === null) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(value, 'v');
    } finally {
      pauser.disconnect();
      await connection.close();
    }
  });

  it('closes idempotently', async () => {
    const connection = new RedisConnection({ name: 'cache', url: redis.url });
    await connection.connect();
    await connection.close();
    await connection.close();
    assert.equal(connection.availability, 'down');
  });
});

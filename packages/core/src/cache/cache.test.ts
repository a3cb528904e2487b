import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import type { Cache } from './cache.js';
import { createCache, type CreateCacheOptions } from './create-cache.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The behaviour a cache shows whatever its L2 is; `base` supplies the backend. */
function cacheBehaviour(name: string, base: () => Promise<CreateCacheOptions>, skip?: string): void {
  describe(`cache behaviour: ${name}`, { skip: skip ?? false }, () => {
    const caches: Cache[] = [];
    const make = async (options: CreateCacheOptions = {}): Promise<Cache> => {
      const cache = createCache({ ...(await base()), keyPrefix: `t-${randomUUID()}`, ...options });
      caches.push(cache);
      return cache;
    };
    after(async () => {
      await Promise.all(caches.map((cache) => cache.close()));
    });

    it('loads once, then answers from the cache; values round-trip through L2', async () => {
      const cache = await make({ l1: false });
      let runs = 0;
      const loader = async () => {
        runs += 1;
        return { at: new Date(7), tags: new Set(['x']), n: 12n, nothing: undefined, none: null };
      };
      const first = await cache.getOrSet('user:1', loader);
      const second = await cache.getOrSet('user:1', loader);
      assert.equal(runs, 1);
      assert.deepEqual(second, first);
      assert.ok(second.at instanceof Date && second.tags instanceof Set && 'nothing' in second);
      const stats = cache.stats();
      assert.equal(stats.misses, 1);
      assert.equal(stats.hits.l2, 1);
      assert.equal(stats.loads, 1);
    });

    it('caches undefined as a value, distinct from a miss', async () => {
      const cache = await make();
      let runs = 0;
      const loader = () => {
        runs += 1;
        return undefined;
      };
      assert.equal(await cache.getOrSet('nothing', loader), undefined);
      assert.equal(await cache.getOrSet('nothing', loader), undefined);
      assert.equal(runs, 1);
      assert.equal(await cache.has('nothing'), true);
    });

    it('runs one loader for many concurrent callers of a key (single-flight)', async () => {
      const cache = await make();
      let runs = 0;
      const loader = async () => {
        runs += 1;
        await sleep(30);
        return 'v';
      };
      const answers = await Promise.all(Array.from({ length: 200 }, () => cache.getOrSet('hot', loader)));
      assert.equal(runs, 1);
      assert.ok(answers.every((value) => value === 'v'));
    });

    it('expires after ttl given as a string, and jitter only shortens it', async () => {
      const cache = await make();
      let runs = 0;
      const loader = () => ++runs;
      await cache.getOrSet('t', loader, { ttl: '250ms' });
      await cache.getOrSet('t', loader, { ttl: '250ms' });
      assert.equal(runs, 1);
      await sleep(350);
      assert.equal(await cache.getOrSet('t', loader, { ttl: '250ms' }), 2);
      await cache.set('j', 'x', { ttl: 100, jitter: 0.5 });
      assert.equal(await cache.get('j'), 'x');
      await sleep(130);
      assert.equal(await cache.get('j'), undefined, 'jitter never lengthens the ttl');
    });

    it('computes the ttl from the value (short while running, long once done)', async () => {
      const cache = await make();
      const ttl = (job: { state: string }) => (job.state === 'done' ? '1h' : 40);
      let state = 'running';
      const loader = () => ({ state });
      assert.equal((await cache.getOrSet('job', loader, { ttl })).state, 'running');
      state = 'done';
      await sleep(70);
      assert.equal((await cache.getOrSet('job', loader, { ttl })).state, 'done');
      state = 'running again';
      await sleep(70);
      assert.equal((await cache.getOrSet('job', loader, { ttl })).state, 'done');
    });

    it('serves stale inside the stale window while one refresh runs in the background', async () => {
      const cache = await make();
      let runs = 0;
      const loader = async () => {
        runs += 1;
        await sleep(20);
        return runs;
      };
      const options = { ttl: 40, stale: '5s' } as const;
      assert.equal(await cache.getOrSet('s', loader, options), 1);
      await sleep(60);
      const stale = await Promise.all(Array.from({ length: 20 }, () => cache.getOrSet('s', loader, options)));
      assert.ok(
        stale.every((value) => value === 1),
        'stale answered at once',
      );
      await sleep(250);
      assert.equal(runs, 2, 'exactly one background refresh');
      assert.equal(await cache.getOrSet('s', loader, options), 2);
      assert.ok(cache.stats().staleHits >= 20);
    });

    it('answers stale when the loader fails inside staleIfError, and rethrows outside it', async () => {
      const cache = await make();
      assert.equal(await cache.getOrSet('e', () => 'good', { ttl: 30, staleIfError: '5s' }), 'good');
      await sleep(50);
      const failing = () => Promise.reject(new Error('db down'));
      assert.equal(await cache.getOrSet('e', failing, { ttl: 30, staleIfError: '5s' }), 'good');
      assert.equal(cache.stats().loaderErrors, 1);
      await cache.getOrSet('f', () => 'good', { ttl: 30 });
      await sleep(50);
      await assert.rejects(cache.getOrSet('f', failing, { ttl: 30 }), /db down/);
    });

    it('answers stale after the soft timeout and stores the slow value when it arrives', async () => {
      const cache = await make();
      await cache.getOrSet('soft', () => 'old', { ttl: 30, staleIfError: '5s' });
      await sleep(50);
      let finished = false;
      const slow = async () => {
        await sleep(300);
        finished = true;
        return 'new';
      };
      assert.equal(await cache.getOrSet('soft', slow, { ttl: '1m', staleIfError: '5s', softTimeout: 30 }), 'old');
      assert.equal(finished, false, 'answered before the loader finished');
      await sleep(450);
      assert.equal(await cache.get('soft'), 'new');
    });

    it('aborts a loader past the hard timeout with E_CACHE_LOADER_TIMEOUT', async () => {
      const cache = await make();
      let aborted = false;
      const hung = ({ signal }: { signal: AbortSignal }) =>
        new Promise<string>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
          setTimeout(() => resolve('late'), 300);
        });
      await assert.rejects(cache.getOrSet('hard', hung, { hardTimeout: 40 }), { code: 'E_CACHE_LOADER_TIMEOUT' });
      assert.equal(aborted, true);
      await sleep(300);
      assert.equal(await cache.get('hard'), undefined, 'a value that came too late is not stored');
    });

    it('treats a value failing the schema as a miss and replaces it', async () => {
      const cache = await make({ l1: false });
      const schema = z.object({ id: z.number(), name: z.string() });
      await cache.set('u', { id: 'not a number', name: 'x' });
      const user = await cache.getOrSet('u', () => ({ id: 1, name: 'Ada' }), { schema });
      assert.deepEqual(user, { id: 1, name: 'Ada' });
      assert.deepEqual(await cache.get('u', { schema }), { id: 1, name: 'Ada' });
      assert.equal(cache.stats().loads, 1);
      const parseOnly = {
        parse: (value: unknown) => (typeof value === 'string' ? value : assert.fail('not a string')),
      };
      await cache.set('p', 5);
      assert.equal(await cache.get('p', { schema: parseOnly }), undefined);
    });

    it('invalidates by key, tag, prefix and namespace, and clear() empties everything', async () => {
      const cache = await make();
      const users = cache.namespace('users', { ttl: '1h' });
      const orders = cache.namespace('orders');
      await users.set('1', 'u1', { tags: ['team:a'] });
      await users.set('2', 'u2', { tags: ['team:b'] });
      await orders.set('1', 'o1', { tags: ['team:a'] });
      await cache.set('users-not-a-namespace', 'x');
      assert.equal(await cache.get('users:1'), 'u1', 'a namespace is a key prefix');

      await cache.invalidateTags(['team:a']);
      assert.equal(await users.get('1'), undefined);
      assert.equal(await orders.get('1'), undefined);
      assert.equal(await users.get('2'), 'u2');

      await users.set('3', 'u3');
      await users.clear();
      assert.equal(await users.get('2'), undefined);
      assert.equal(await users.get('3'), undefined);
      assert.equal(await cache.get('users-not-a-namespace'), 'x');

      await cache.set('report:2024:01', 'jan');
      await cache.set('report:2024:02', 'feb');
      await cache.set('report:2025:01', 'next');
      await cache.invalidatePrefix('report:2024:');
      assert.equal(await cache.has('report:2024:01'), false);
      assert.equal(await cache.has('report:2025:01'), true);

      await cache.delete('report:2025:01', 'users-not-a-namespace');
      assert.equal(await cache.has('report:2025:01'), false);

      await orders.set('9', 'o9');
      await cache.clear();
      assert.equal(await orders.get('9'), undefined);
    });

    it('expire gives an entry a new lifetime and reports absent keys', async () => {
      const cache = await make();
      await cache.set('x', 'v', { ttl: 250 });
      assert.equal(await cache.expire('x', '1m'), true);
      await sleep(350);
      assert.equal(await cache.get('x'), 'v');
      assert.equal(await cache.expire('absent', '1m'), false);
    });

    it('namespaces layer their defaults over the cache defaults', async () => {
      const cache = await make({ ttl: '1h' });
      const short = cache.namespace('short', { ttl: 40 });
      await short.set('a', 1);
      await cache.set('a', 1);
      await sleep(70);
      assert.equal(await short.get('a'), undefined);
      assert.equal(await cache.get('a'), 1);
    });

    it('compresses large values above the threshold and reads them back from L2', async () => {
      const cache = await make({ l1: false, compressAbove: 1_024 });
      const big = { text: 'lorem ipsum '.repeat(5_000), when: new Date(1) };
      await cache.set('big', big);
      assert.deepEqual(await cache.get('big'), big);
    });

    it('bounds the L1 by entries and by bytes, counting evictions', async () => {
      const cache = await make({ l1: { maxEntries: 3, maxBytes: 1_000_000 }, l2: false });
      for (let i = 0; i < 5; i += 1) await cache.set(`k${i}`, i);
      assert.equal(cache.stats().l1.entries, 3);
      assert.equal(cache.stats().evictions, 2);
      const small = await make({ l1: { maxEntries: 100, maxBytes: 3_000 }, l2: false });
      for (let i = 0; i < 5; i += 1) await small.set(`k${i}`, 'x'.repeat(1_000));
      assert.ok(small.stats().l1.bytes <= 3_000);
      assert.ok(small.stats().l1.entries < 5);
    });

    it('reports stats and the same figures as Prometheus metrics', async () => {
      const metrics = new Registry();
      const cache = await make({ metrics, name: 'api' });
      await cache.getOrSet('m', () => 1);
      await cache.getOrSet('m', () => 1);
      await cache.getOrSet('m', () => 1);
      const stats = cache.stats();
      assert.equal(stats.hits.l1, 2);
      assert.equal(stats.misses, 1);
      assert.equal(stats.hitRate, 2 / 3);
      assert.equal(stats.latency.read.samples, 3);
      assert.equal(stats.latency.load.samples, 1);
      assert.equal(stats.circuit, 'closed');
      const text = await metrics.metrics();
      assert.match(text, /backplane_cache_hits_total\{cache="api",tier="l1"\} 2/);
      assert.match(text, /backplane_cache_misses_total\{cache="api"\} 1/);
      assert.match(text, /backplane_cache_loads_total\{cache="api"\} 1/);
      assert.match(text, /backplane_cache_l1_entries\{cache="api"\} 1/);
      assert.match(text, /backplane_cache_circuit_state\{cache="api"\} 0/);
      assert.match(text, /backplane_cache_read_duration_seconds\{cache="api",quantile="0.99"\}/);
      assert.doesNotMatch(text, /cache="api",key=/);
    });

    it('refuses bad input with E_INVALID_ARGUMENT naming the argument, writing nothing', async () => {
      const cache = await make();
      const bad = async (call: () => Promise<unknown>, argument: string) =>
        assert.rejects(call, (error: Error & { code?: string; argument?: string }) => {
          assert.equal(error.code, 'E_INVALID_ARGUMENT', error.message);
          assert.equal(error.argument, argument);
          return true;
        });
      await bad(() => cache.get(''), 'key');
      await bad(() => cache.get(42 as never), 'key');
      await bad(() => cache.getOrSet('k', 'not a function' as never), 'loader');
      await bad(() => cache.set('k', 1, { ttl: -5 }), 'options.ttl');
      await bad(() => cache.set('k', 1, { ttl: '10 fortnights' as never }), 'options.ttl');
      await bad(() => cache.set('k', 1, { ttl: 0 }), 'options.ttl');
      await bad(() => cache.set('k', 1, { stale: -1 }), 'options.stale');
      await bad(() => cache.set('k', 1, { jitter: 2 }), 'options.jitter');
      await bad(() => cache.set('k', 1, { tags: [''] }), 'options.tags');
      await bad(() => cache.set('k', { run: () => 1 }), 'value');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await bad(() => cache.set('k', cyclic), 'value');
      await bad(() => cache.getOrSet('k', () => ({ fn: () => 1 })), 'value (returned by the loader)');
      await bad(() => cache.getOrSet('k', () => 1, { ttl: () => -1 as never }), 'ttl (returned by the ttl function)');
      await bad(() => cache.expire('k', 'soon' as never), 'ttl');
      await bad(() => cache.delete(''), 'keys[0]');
      await bad(() => cache.invalidateTags([]), 'tags');
      assert.throws(() => cache.namespace(''), { code: 'E_INVALID_ARGUMENT', argument: 'name' });
      assert.equal(await cache.has('k'), false, 'nothing was written');
      assert.throws(() => createCache({ ttl: '-1s' as never }), {
        code: 'E_INVALID_ARGUMENT',
        argument: 'options.ttl',
      });
    });

    it('rejects calls after close with E_CLOSED; close is idempotent', async () => {
      const cache = await make();
      await cache.close();
      await cache.close();
      await assert.rejects(cache.get('k'), { code: 'E_CLOSED' });
    });
  });
}

cacheBehaviour('memory L2', async () => ({}));

let server: RedisServerHandle | undefined;
let connection: RedisConnection | undefined;
cacheBehaviour(
  'redis L2',
  async () => {
    server ??= await startRedisServer();
    if (!connection) {
      connection = new RedisConnection({ name: 'cache', url: server.url });
      await connection.connect();
      await connection.waitUntilUp();
    }
    return { connection };
  },
  redisSkipReason(),
);

after(async () => {
  await connection?.close();
  await server?.stop();
});

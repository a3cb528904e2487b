import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { CacheStore } from '../cache/store.js';

export interface StoreSuiteContext<TStore> {
  /** A store to test. Each test uses keys under its own random prefix, so stores may be shared. */
  create(): Promise<TStore>;
  /** Runs after the whole suite: close stores and what they were built on. */
  teardown?(): Promise<void>;
  /** Set when the suite cannot run here; the tests are reported as skipped with this reason. */
  skip?: string | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every `CacheStore` must show. Run it against your own implementation:
 * `runCacheStoreSuite('my store', { create: async () => new MyStore() })`.
 */
export function runCacheStoreSuite(name: string, context: StoreSuiteContext<CacheStore>): void {
  describe(`CacheStore conformance: ${name}`, { skip: context.skip ?? false }, () => {
    let store: CacheStore | undefined;
    const get = async (): Promise<CacheStore> => (store ??= await context.create());
    const key = (suffix: string) => `suite-${randomUUID()}:${suffix}`;

    after(async () => {
      await store?.close();
      await context.teardown?.();
    });

    it('returns undefined for a key never set', async () => {
      const s = await get();
      assert.equal(await s.get(key('missing')), undefined);
      assert.equal(await s.has(key('missing')), false);
      assert.equal(await s.ttl(key('missing')), undefined);
    });

    it('round-trips bytes exactly, including non-UTF-8 and empty values', async () => {
      const s = await get();
      const binary = Buffer.from([0, 255, 1, 254, 0x80, 0xc3]);
      const k1 = key('binary');
      const k2 = key('empty');
      await s.set(k1, binary, 10_000);
      await s.set(k2, Buffer.alloc(0), 10_000);
      assert.deepEqual(await s.get(k1), binary);
      assert.deepEqual(await s.get(k2), Buffer.alloc(0));
      assert.equal(await s.has(k2), true);
    });

    it('overwrites a value and its expiry', async () => {
      const s = await get();
      const k = key('overwrite');
      await s.set(k, Buffer.from('one'), 50);
      await s.set(k, Buffer.from('two'), 60_000);
      await sleep(80);
      assert.deepEqual(await s.get(k), Buffer.from('two'));
    });

    it('expires a value after its ttl', async () => {
      const s = await get();
      const k = key('expiring');
      await s.set(k, Buffer.from('soon gone'), 40);
      assert.equal(await s.has(k), true);
      await sleep(90);
      assert.equal(await s.get(k), undefined);
      assert.equal(await s.has(k), false);
    });

    it('reports the remaining ttl within the set lifetime', async () => {
      const s = await get();
      const k = key('ttl');
      await s.set(k, Buffer.from('x'), 5_000);
      const remaining = await s.ttl(k);
      assert.ok(remaining !== undefined && remaining > 4_000 && remaining <= 5_000, `remaining ${remaining}`);
    });

    it('gives an existing key a new expiry and refuses an absent one', async () => {
      const s = await get();
      const k = key('expire');
      await s.set(k, Buffer.from('x'), 40);
      assert.equal(await s.expire(k, 60_000), true);
      await sleep(80);
      assert.deepEqual(await s.get(k), Buffer.from('x'));
      assert.equal(await s.expire(key('absent'), 1_000), false);
      assert.equal(await s.has(key('absent')), false);
    });

    it('reads many keys in the order asked, with gaps for absent ones', async () => {
      const s = await get();
      const [a, b, c] = [key('a'), key('b'), key('c')];
      await s.set(a, Buffer.from('A'), 10_000);
      await s.set(c, Buffer.from('C'), 10_000);
      assert.deepEqual(await s.getMany([c, b, a]), [Buffer.from('C'), undefined, Buffer.from('A')]);
      assert.deepEqual(await s.getMany([]), []);
    });

    it('deletes keys and counts only those that existed', async () => {
      const s = await get();
      const [a, b] = [key('a'), key('b')];
      await s.set(a, Buffer.from('A'), 10_000);
      assert.equal(await s.delete([a, b]), 1);
      assert.equal(await s.get(a), undefined);
      assert.equal(await s.delete([]), 0);
    });

    it('deletes by prefix only the keys under it, taking glob characters literally', async () => {
      const s = await get();
      const base = key('prefix');
      const inside = [`${base}:users:1`, `${base}:users:2`, `${base}:users:[x]*?`];
      const outside = [`${base}:orders:1`, `${base}:usersX`, `${base}:user`];
      for (const k of [...inside, ...outside]) await s.set(k, Buffer.from(k), 10_000);
      assert.equal(await s.deleteByPrefix(`${base}:users:`), 3);
      for (const k of inside) assert.equal(await s.has(k), false, k);
      for (const k of outside) assert.equal(await s.has(k), true, k);
      assert.equal(await s.deleteByPrefix(`${base}:*`), 0, 'a * in the prefix is not a wildcard');
    });

    it('deletes by prefix across more keys than one scan step', async () => {
      const s = await get();
      const base = key('many');
      await Promise.all(Array.from({ length: 1_200 }, (_, i) => s.set(`${base}:${i}`, Buffer.from('v'), 10_000)));
      assert.equal(await s.deleteByPrefix(`${base}:`), 1_200);
      assert.equal(await s.has(`${base}:7`), false);
    });

    it('keeps keys with unicode, spaces and colons apart', async () => {
      const s = await get();
      const base = key('names');
      const names = [`${base}:ünïcødé`, `${base}:with space`, `${base}:a:b:c`, `${base}:emoji🙂`];
      for (const [i, k] of names.entries()) await s.set(k, Buffer.from(String(i)), 10_000);
      for (const [i, k] of names.entries()) assert.deepEqual(await s.get(k), Buffer.from(String(i)));
    });

    it('handles concurrent writers of one key: the value is one of theirs, whole', async () => {
      const s = await get();
      const k = key('race');
      const values = Array.from({ length: 50 }, (_, i) => Buffer.from(`value-${i}-`.repeat(20)));
      await Promise.all(values.map((v) => s.set(k, v, 10_000)));
      const stored = await s.get(k);
      assert.ok(stored && values.some((v) => v.equals(stored)));
    });

    it('deletes by tag every key recorded under it, and only those', async () => {
      const s = await get();
      const [a, b, c] = [key('a'), key('b'), key('c')];
      const [red, blue] = [key('tag-red'), key('tag-blue')];
      for (const k of [a, b, c]) await s.set(k, Buffer.from(k), 10_000);
      await s.tag(a, [red], 10_000);
      await s.tag(b, [red, blue], 10_000);
      await s.tag(c, [blue], 10_000);
      const named = await s.deleteByTags([red]);
      assert.deepEqual([...named].sort(), [a, b].sort());
      assert.equal(await s.has(a), false);
      assert.equal(await s.has(b), false);
      assert.equal(await s.has(c), true);
      assert.deepEqual(await s.deleteByTags([red]), [], 'the index went with its keys');
      assert.deepEqual([...(await s.deleteByTags([blue]))].sort(), [b, c].sort());
      assert.equal(await s.has(c), false);
    });

    it('gives a loader lease to one token at a time and frees it only for its holder', async () => {
      const s = await get();
      const k = key('lease');
      assert.equal(await s.acquireLease(k, 'one', 10_000), true);
      assert.equal(await s.acquireLease(k, 'two', 10_000), false);
      assert.equal(await s.releaseLease(k, 'two'), false);
      assert.equal(await s.releaseLease(k, 'one'), true);
      assert.equal(await s.acquireLease(k, 'two', 40), true);
      await sleep(80);
      assert.equal(await s.acquireLease(k, 'three', 10_000), true, 'an expired lease is free');
      assert.equal(await s.releaseLease(k, 'two'), false);
    });

    it('rejects calls after close with E_CLOSED, and close is idempotent', async () => {
      const own = await context.create();
      await own.close();
      await own.close();
      await assert.rejects(own.get(key('closed')), { code: 'E_CLOSED' });
    });
  });
}

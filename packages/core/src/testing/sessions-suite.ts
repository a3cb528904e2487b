import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SessionStore, SessionStoreOptions } from '../sessions/types.js';

/** The lifetimes and limits a test asks for; the context adds the connection and a fresh key prefix. */
export type SessionSuiteOptions = Pick<SessionStoreOptions, 'idleTimeout' | 'absoluteLifetime' | 'maxBytes'>;

export interface SessionSuiteContext {
  /** A new, empty store with these options (each call isolated from the others, e.g. by key prefix). */
  create(options: SessionSuiteOptions): Promise<SessionStore>;
  /** Runs after the whole suite. */
  teardown?(): Promise<void>;
  skip?: string | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ID = /^[A-Za-z0-9_-]{22,}$/;

/**
 * The behaviour every `SessionStore` must show, run against the memory and the Redis store alike:
 * `runSessionStoreSuite('mine', { create: async (options) => createSessionStore({ ...options }) })`.
 */
export function runSessionStoreSuite(name: string, context: SessionSuiteContext): void {
  describe(`SessionStore conformance: ${name}`, { skip: context.skip ?? false }, () => {
    const opened: SessionStore[] = [];
    const open = async (options: SessionSuiteOptions = {}): Promise<SessionStore> => {
      const store = await context.create(options);
      opened.push(store);
      return store;
    };

    after(async () => {
      await Promise.allSettled(opened.map((store) => store.close()));
      await context.teardown?.();
    });

    it('creates a session under a long random base64url id and reads it back', async () => {
      const s = await open({ idleTimeout: '10m', absoluteLifetime: '1h' });
      const before = Date.now();
      const created = await s.create({ cart: [1, 2], name: 'Zoë 🙂', nested: { a: { b: null } } }, { userId: 'u1' });
      assert.match(created.id, ID);
      assert.ok(Buffer.from(created.id, 'base64url').length >= 16, 'at least 128 bits');
      const read = await s.get(created.id);
      assert.ok(read);
      assert.deepEqual(read.data, { cart: [1, 2], name: 'Zoë 🙂', nested: { a: { b: null } } });
      assert.equal(read.userId, 'u1');
      assert.equal(read.version, 1);
      assert.ok(read.createdAt >= before - 1000 && read.createdAt <= Date.now() + 1000);
      assert.ok(Math.abs(read.expiresAt - (read.createdAt + 600_000)) < 2000, 'idle deadline');
      assert.ok(Math.abs(read.absoluteExpiresAt - (read.createdAt + 3_600_000)) < 2000, 'absolute deadline');
    });

    it('never hands out the same id twice', async () => {
      const s = await open();
      const ids: string[] = [];
      for (let batch = 0; batch < 3; batch += 1) {
        ids.push(...(await Promise.all(Array.from({ length: 100 }, () => s.create({}).then((x) => x.id)))));
      }
      assert.equal(new Set(ids).size, ids.length);
    });

    it('treats unknown, forged and malformed ids as no session, without throwing', async () => {
      const s = await open();
      const real = await s.create({ a: 1 });
      const forged =
        `${real.id.slice(0, -4)}AAAA` === real.id ? `${real.id.slice(0, -4)}BBBB` : `${real.id.slice(0, -4)}AAAA`;
      const bad: unknown[] = [
        forged,
        '',
        'short',
        'a'.repeat(300),
        '../../etc/passwd',
        'bp:sess:*',
        '{tag}x'.repeat(4),
        42,
        null,
        undefined,
        {},
      ];
      for (const id of bad) {
        const asId = id as string;
        assert.equal(await s.get(asId), undefined, String(id));
        assert.equal(await s.touch(asId), undefined);
        assert.equal(await s.update(asId, { a: 2 }), undefined);
        assert.equal(await s.destroy(asId), false);
        assert.equal(await s.regenerate(asId), undefined);
      }
      assert.deepEqual((await s.get(real.id))?.data, { a: 1 }, 'the real session is untouched');
    });

    it('merges a partial update, removes keys set to undefined, and bumps the version', async () => {
      const s = await open();
      const { id } = await s.create({ a: 1, b: 'two', c: true });
      const result = await s.update(id, { b: 'deux', c: undefined, d: [4] });
      assert.equal(result?.version, 2);
      const read = await s.get(id);
      assert.deepEqual(read?.data, { a: 1, b: 'deux', d: [4] });
      assert.equal(read?.version, 2);
    });

    it('keeps every field when many updates of different fields race', async () => {
      const s = await open();
      const { id } = await s.create({ base: 0 });
      await Promise.all(Array.from({ length: 40 }, (_, i) => s.update(id, { [`field${i}`]: i })));
      const read = await s.get(id);
      assert.equal(read?.version, 41);
      for (let i = 0; i < 40; i += 1) assert.equal(read?.data[`field${i}`], i, `field${i}`);
      assert.equal(read?.data.base, 0);
    });

    it('applies updateIf only at the expected version; one of racing writers wins', async () => {
      const s = await open();
      const { id } = await s.create({ n: 0 });
      assert.equal((await s.updateIf(id, 1, { n: 1 }))?.version, 2);
      await assert.rejects(s.updateIf(id, 1, { n: 99 }), { code: 'E_SESSION_CONFLICT' });
      assert.equal((await s.get(id))?.data.n, 1, 'a conflicting write changes nothing');
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.updateIf(id, 2, { n: 10 + i })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal((await s.get(id))?.version, 3);
      await assert.rejects(s.updateIf(id, 0, {}), { code: 'E_INVALID_ARGUMENT' });
      assert.equal(await s.updateIf('x'.repeat(32), 1, { n: 1 }), undefined);
    });

    it('set writes a whole session under a given id, keeping its creation time', async () => {
      const s = await open();
      const id = 'framework-made-id-0123456789abcdef';
      const first = await s.set(id, { a: 1, b: 2 });
      assert.equal(first.version, 1);
      await sleep(20);
      const second = await s.set(id, { b: 3 }, { userId: 'u-set' });
      assert.equal(second.version, 2);
      assert.equal(second.createdAt, first.createdAt);
      assert.deepEqual((await s.get(id))?.data, { b: 3 });
      assert.deepEqual(
        (await s.listByUser('u-set')).map((x) => x.id),
        [id],
      );
      await s.set(id, { b: 4 }, { userId: 'u-other' });
      assert.deepEqual(await s.listByUser('u-set'), [], 'moved to the other user');
      await assert.rejects(s.set('bad id!', {}), { code: 'E_INVALID_ARGUMENT' });
    });

    it('ends a session after the idle timeout unless it is touched or written', async () => {
      const s = await open({ idleTimeout: 500, absoluteLifetime: '1h' });
      const [idle, touched, written] = await Promise.all([
        s.create({ k: 'idle' }),
        s.create({ k: 't' }),
        s.create({ k: 'w' }),
      ]);
      await sleep(300);
      assert.ok((await s.touch(touched.id)) !== undefined);
      assert.ok((await s.update(written.id, { more: 1 })) !== undefined);
      await sleep(350);
      assert.equal(await s.get(idle.id), undefined, 'idle session expired');
      assert.deepEqual((await s.get(touched.id))?.data, { k: 't' });
      assert.ok(await s.get(written.id));
    });

    it('ends a session at its absolute lifetime however often it is touched', async () => {
      const s = await open({ idleTimeout: '1h', absoluteLifetime: 600 });
      const { id, absoluteExpiresAt } = await s.create({ k: 1 });
      for (let i = 0; i < 4; i += 1) {
        const expiresAt = await s.touch(id);
        assert.ok(expiresAt !== undefined && expiresAt <= absoluteExpiresAt, 'capped by the absolute deadline');
        await sleep(100);
      }
      await s.update(id, { k: 2 });
      await sleep(400);
      assert.equal(await s.get(id), undefined);
      assert.equal(await s.touch(id), undefined);
      assert.equal(await s.update(id, { k: 3 }), undefined);
    });

    it('touch slides the expiry without changing data or version', async () => {
      const s = await open({ idleTimeout: '10m' });
      const created = await s.create({ k: 1 });
      await sleep(30);
      const expiresAt = await s.touch(created.id);
      assert.ok(expiresAt !== undefined && expiresAt > created.expiresAt);
      const read = await s.get(created.id);
      assert.equal(read?.version, 1);
      assert.deepEqual(read?.data, { k: 1 });
    });

    it('destroys a session once', async () => {
      const s = await open();
      const { id } = await s.create({}, { userId: 'u-destroy' });
      assert.equal(await s.destroy(id), true);
      assert.equal(await s.destroy(id), false);
      assert.equal(await s.get(id), undefined);
      assert.deepEqual(await s.listByUser('u-destroy'), []);
    });

    it('regenerates: new id, same data and lifetime, old id gone, user set on login', async () => {
      const s = await open();
      const anonymous = await s.create({ cart: ['x'] });
      const loggedIn = await s.regenerate(anonymous.id, { userId: 'u-login' });
      assert.ok(loggedIn);
      assert.notEqual(loggedIn.id, anonymous.id);
      assert.match(loggedIn.id, ID);
      assert.deepEqual(loggedIn.data, { cart: ['x'] });
      assert.equal(loggedIn.userId, 'u-login');
      assert.equal(loggedIn.version, 2);
      assert.equal(loggedIn.createdAt, anonymous.createdAt);
      assert.equal(loggedIn.absoluteExpiresAt, anonymous.absoluteExpiresAt);
      assert.equal(await s.get(anonymous.id), undefined);
      assert.deepEqual((await s.get(loggedIn.id))?.data, { cart: ['x'] });
      assert.deepEqual(
        (await s.listByUser('u-login')).map((x) => x.id),
        [loggedIn.id],
      );
      const again = await s.regenerate(loggedIn.id);
      assert.equal(again?.userId, 'u-login', 'the user is kept by default');
      assert.deepEqual(
        (await s.listByUser('u-login')).map((x) => x.id),
        [again?.id],
      );
      const out = await s.regenerate(again?.id ?? '', { userId: null });
      assert.equal(out?.userId, undefined);
      assert.deepEqual(await s.listByUser('u-login'), []);
      assert.equal(await s.regenerate(anonymous.id), undefined, 'the old id cannot be regenerated again');
    });

    it('regenerates atomically: of racing regenerations exactly one wins', async () => {
      const s = await open();
      const { id } = await s.create({ k: 1 });
      const results = await Promise.all(Array.from({ length: 8 }, () => s.regenerate(id)));
      const winners = results.filter((r) => r !== undefined);
      assert.equal(winners.length, 1);
      assert.equal(await s.count(), 1);
    });

    it('lists the live sessions of a user and logs them out everywhere', async () => {
      const s = await open({ idleTimeout: 400 });
      const a1 = await s.create({ d: 1 }, { userId: 'alice' });
      const a2 = await s.create({ d: 2 }, { userId: 'alice' });
      const b1 = await s.create({ d: 3 }, { userId: 'bob' });
      const listed = await s.listByUser('alice');
      assert.deepEqual(listed.map((x) => x.id).sort(), [a1.id, a2.id].sort());
      assert.deepEqual(listed.find((x) => x.id === a2.id)?.data, { d: 2 });
      assert.equal(await s.destroyAllForUser('alice'), 2);
      assert.equal(await s.get(a1.id), undefined);
      assert.equal(await s.get(a2.id), undefined);
      assert.deepEqual(await s.listByUser('alice'), []);
      assert.ok(await s.get(b1.id), 'other users keep their sessions');
      assert.equal(await s.destroyAllForUser('nobody'), 0);
      await sleep(550);
      assert.deepEqual(await s.listByUser('bob'), [], 'expired sessions leave the index');
      await assert.rejects(s.listByUser(''), { code: 'E_INVALID_ARGUMENT' });
      await assert.rejects(s.create({}, { userId: 5 as unknown as string }), { code: 'E_INVALID_ARGUMENT' });
    });

    it('refuses data that is not a plain object of JSON values, writing nothing', async () => {
      const s = await open();
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const bad: unknown[] = [
        null,
        [1, 2],
        'text',
        5,
        new Map(),
        { n: 10n },
        { f: () => 1 },
        { s: Symbol('x') },
        circular,
      ];
      for (const data of bad) {
        await assert.rejects(s.create(data as Record<string, unknown>), { code: 'E_SESSION_DATA_INVALID' });
      }
      assert.equal(await s.count(), 0);
      const { id } = await s.create({ keep: 1 });
      await assert.rejects(s.update(id, { n: 1n }), { code: 'E_SESSION_DATA_INVALID' });
      await assert.rejects(s.update(id, [] as unknown as Record<string, unknown>), { code: 'E_SESSION_DATA_INVALID' });
      assert.deepEqual((await s.get(id))?.data, { keep: 1 });
      assert.equal((await s.get(id))?.version, 1);
    });

    it('stores keys like __proto__ as plain data', async () => {
      const s = await open();
      const data = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}') as Record<string, unknown>;
      const { id } = await s.create(data);
      const read = await s.get(id);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.deepEqual(Object.keys(read?.data ?? {}).sort(), ['__proto__', 'constructor']);
    });

    it('enforces maxBytes on create and on the merged result of updates', async () => {
      const s = await open({ maxBytes: 200 });
      await assert.rejects(s.create({ big: 'x'.repeat(300) }), { code: 'E_SESSION_TOO_LARGE' });
      const { id } = await s.create({ a: 'x'.repeat(80) });
      await assert.rejects(s.update(id, { b: 'y'.repeat(120) }), { code: 'E_SESSION_TOO_LARGE' });
      assert.deepEqual(Object.keys((await s.get(id))?.data ?? {}), ['a'], 'nothing written');
      assert.ok(await s.update(id, { a: 'small', b: 'y'.repeat(120) }), 'replacing a field frees its bytes');
      assert.ok(await s.update(id, { b: undefined, c: 'z'.repeat(150) }), 'removing a field frees its bytes');
      assert.equal(await s.count(), 1);
    });

    it('counts, lists and clears all sessions of the store', async () => {
      const s = await open();
      await Promise.all([s.create({ i: 1 }), s.create({ i: 2 }, { userId: 'u-clear' }), s.create({ i: 3 })]);
      assert.equal(await s.count(), 3);
      assert.deepEqual((await s.all()).map((x) => x.data.i).sort(), [1, 2, 3]);
      assert.equal(await s.clear(), 3);
      assert.equal(await s.count(), 0);
      assert.deepEqual(await s.listByUser('u-clear'), []);
    });

    it('reports stats of this process', async () => {
      const s = await open();
      const { id } = await s.create({});
      await s.touch(id);
      await s.update(id, { x: 1 });
      const regenerated = await s.regenerate(id);
      await s.destroy(regenerated?.id ?? '');
      await s.destroy(regenerated?.id ?? '');
      const stats = await s.stats();
      assert.equal(stats.backend, s.kind);
      assert.deepEqual(
        [stats.creates, stats.touches, stats.updates, stats.regenerates, stats.destroys, stats.active],
        [1, 1, 1, 1, 1, 0],
      );
    });

    it('rejects calls after close with E_CLOSED; close is idempotent', async () => {
      const s = await open();
      await s.close();
      await s.close();
      await assert.rejects(s.get('x'.repeat(32)), { code: 'E_CLOSED' });
      await assert.rejects(s.create({}), { code: 'E_CLOSED' });
    });
  });
}

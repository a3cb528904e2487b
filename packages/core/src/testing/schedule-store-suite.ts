import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ScheduleStore } from '../jobs/scheduler/store.js';

export interface ScheduleStoreSuiteContext {
  /** A fresh, empty store for each test (for Redis: a new key prefix each time). */
  create(): Promise<ScheduleStore>;
  /** Runs after the whole suite: close what the stores were built on. */
  teardown?(): Promise<void>;
  /** Set when the suite cannot run here; the tests are reported as skipped with this reason. */
  skip?: string | undefined;
}

const T0 = Date.UTC(2030, 0, 1);

/**
 * The behaviour every `ScheduleStore` must show, above all that a slot can be claimed once.
 * `runScheduleStoreSuite('my store', { create: async () => new MyStore() })`.
 */
export function runScheduleStoreSuite(name: string, context: ScheduleStoreSuiteContext): void {
  describe(`ScheduleStore conformance: ${name}`, { skip: context.skip ?? false }, () => {
    const stores: ScheduleStore[] = [];
    const create = async (): Promise<ScheduleStore> => {
      const store = await context.create();
      stores.push(store);
      return store;
    };

    after(async () => {
      await Promise.allSettled(stores.map((store) => store.close()));
      await context.teardown?.();
    });

    it('creates, keeps an unchanged definition and its slot, and replaces a changed one', async () => {
      const s = await create();
      assert.equal(await s.save('a', '{"v":1}', T0 + 1000), 'created');
      assert.equal(await s.save('a', '{"v":1}', T0 + 5000), 'unchanged');
      assert.equal((await s.get('a'))?.nextRunAt, T0 + 1000);
      assert.equal(await s.save('a', '{"v":2}', T0 + 7000), 'replaced');
      assert.deepEqual(await s.get('a'), {
        id: 'a',
        definition: '{"v":2}',
        paused: false,
        nextRunAt: T0 + 7000,
        lastRunAt: null,
      });
      assert.equal(await s.get('missing'), undefined);
    });

    it('lists every schedule ordered by id', async () => {
      const s = await create();
      await s.save('b', '{}', T0 + 2);
      await s.save('a', '{}', T0 + 3);
      await s.save('c', '{}', T0 + 1);
      await s.setPaused('c', true, 0);
      const listed = await s.list();
      assert.deepEqual(
        listed.map((entry) => [entry.id, entry.paused, entry.nextRunAt]),
        [
          ['a', false, T0 + 3],
          ['b', false, T0 + 2],
          ['c', true, null],
        ],
      );
    });

    it('pauses and resumes, reporting unknown ids and repeated calls', async () => {
      const s = await create();
      await s.save('p', '{}', T0 + 1000);
      assert.equal(await s.setPaused('nope', true, 0), 'missing');
      assert.equal(await s.setPaused('p', true, 0), 'changed');
      assert.equal(await s.setPaused('p', true, 0), 'unchanged');
      assert.deepEqual((await s.due(T0 + 10_000, 10)).slots, []);
      // A paused schedule declared again (a process restarting) stays paused.
      assert.equal(await s.save('p', '{"changed":true}', T0 + 2000), 'replaced');
      assert.equal((await s.get('p'))?.paused, true);
      assert.equal(await s.setPaused('p', false, T0 + 3000), 'changed');
      assert.equal(await s.setPaused('p', false, T0 + 9999), 'unchanged');
      assert.equal((await s.get('p'))?.nextRunAt, T0 + 3000);
    });

    it('gives due slots earliest first, up to the limit, with the time of the next one', async () => {
      const s = await create();
      await s.save('late', '"late"', T0 + 500);
      await s.save('first', '"first"', T0 + 100);
      await s.save('second', '"second"', T0 + 200);
      await s.save('future', '"future"', T0 + 9000);
      const all = await s.due(T0 + 500, 10);
      assert.deepEqual(
        all.slots.map((slot) => [slot.id, slot.slot, slot.definition]),
        [
          ['first', T0 + 100, '"first"'],
          ['second', T0 + 200, '"second"'],
          ['late', T0 + 500, '"late"'],
        ],
      );
      assert.equal(all.nextAt, T0 + 9000);
      const limited = await s.due(T0 + 500, 2);
      assert.deepEqual(
        limited.slots.map((slot) => slot.id),
        ['first', 'second'],
      );
      assert.equal(limited.nextAt, T0 + 500);
      const none = await create();
      assert.deepEqual(await none.due(T0, 10), { slots: [], nextAt: undefined });
    });

    it('lets exactly one of many concurrent claims of one slot win', async () => {
      const s = await create();
      await s.save('race', '{}', T0 + 1000);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => s.claim('race', T0 + 1000, T0 + 2000, T0 + 1000)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const after = await s.get('race');
      assert.equal(after?.nextRunAt, T0 + 2000);
      assert.equal(after?.lastRunAt, T0 + 1000);
      // The next slot is claimable once more; a stale view of the old one is not.
      assert.equal(await s.claim('race', T0 + 1000, T0 + 3000, T0 + 1000), false);
      assert.equal(await s.claim('race', T0 + 2000, T0 + 3000, undefined), true);
      assert.equal((await s.get('race'))?.lastRunAt, T0 + 1000);
    });

    it('refuses claims on paused and removed schedules', async () => {
      const s = await create();
      await s.save('paused', '{}', T0 + 1000);
      await s.save('gone', '{}', T0 + 1000);
      await s.setPaused('paused', true, 0);
      assert.equal(await s.remove('gone'), true);
      assert.equal(await s.remove('gone'), false);
      assert.equal(await s.claim('paused', T0 + 1000, T0 + 2000, T0 + 1000), false);
      assert.equal(await s.claim('gone', T0 + 1000, T0 + 2000, T0 + 1000), false);
      assert.equal(await s.get('gone'), undefined);
      assert.deepEqual(
        (await s.list()).map((entry) => entry.id),
        ['paused'],
      );
    });
  });
}

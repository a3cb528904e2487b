import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { BackplaneError, InvalidArgumentError, RedisUnavailableError } from '../../errors.js';
import { RedisConnection } from '../../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js';
import {
  createJobScheduler,
  InvalidCronError,
  JobScheduler,
  MemoryScheduleStore,
  RedisScheduleStore,
} from './index.js';
import type { ScheduledEnqueueOptions, ScheduleEnqueue } from './scheduler.js';
import type { ScheduleStore } from './store.js';

const T0 = Date.parse('2030-01-01T00:00:00.500Z');

interface Run {
  task: string;
  data: unknown;
  options: ScheduledEnqueueOptions;
}

/** A fake clock and an enqueue that records runs, so slots are exact and tests need no waiting. */
function harness(store: ScheduleStore, enqueue?: ScheduleEnqueue, metrics?: Registry) {
  const clock = { now: T0 };
  const runs: Run[] = [];
  const record: ScheduleEnqueue = async (task, data, options) => {
    runs.push({ task, data, options });
    return `job-${runs.length}`;
  };
  const scheduler = new JobScheduler({
    store,
    enqueue: enqueue ?? record,
    now: () => clock.now,
    ...(metrics ? { metrics } : {}),
  });
  return { scheduler, clock, runs };
}

function runSchedulerTests(kind: string, makeStore: () => Promise<ScheduleStore>, skip?: string): void {
  describe(`JobScheduler on ${kind}`, { skip: skip ?? false }, () => {
    it('enqueues each cron slot once, with the task, data, options and a per-slot idempotency key', async () => {
      const { scheduler, clock, runs } = harness(await makeStore());
      const info = await scheduler.schedule({
        id: 'tick',
        task: 'report.build',
        data: { kind: 'daily' },
        cron: '* * * * * *',
        jobOptions: { priority: 5, queue: 'reports' },
      });
      assert.equal(info.nextRunAt, T0 + 500);
      assert.equal(await scheduler.tick(), 0);
      clock.now = T0 + 500;
      assert.equal(await scheduler.tick(), 1);
      assert.equal(await scheduler.tick(), 0);
      clock.now = T0 + 1500;
      assert.equal(await scheduler.tick(), 1);
      assert.deepEqual(runs, [
        {
          task: 'report.build',
          data: { kind: 'daily' },
          options: { priority: 5, queue: 'reports', idempotencyKey: `schedule:tick:${T0 + 500}` },
        },
        {
          task: 'report.build',
          data: { kind: 'daily' },
          options: { priority: 5, queue: 'reports', idempotencyKey: `schedule:tick:${T0 + 1500}` },
        },
      ]);
      const after = await scheduler.get('tick');
      assert.equal(after?.lastRunAt, T0 + 1500);
      assert.equal(after?.nextRunAt, T0 + 2500);
      await scheduler.close();
    });

    it('makes up missed slots with one run, then continues from now', async () => {
      const { scheduler, clock, runs } = harness(await makeStore());
      await scheduler.schedule({ id: 'every', task: 't', every: '250ms' });
      clock.now = T0 + 10_000;
      assert.equal(await scheduler.tick(), 1);
      assert.equal(runs[0]?.options.idempotencyKey, `schedule:every:${T0 + 250}`);
      assert.equal((await scheduler.get('every'))?.nextRunAt, T0 + 10_250);
      await scheduler.close();
    });

    it('places interval slots after startAt', async () => {
      const { scheduler } = harness(await makeStore());
      const info = await scheduler.schedule({ id: 'shifted', task: 't', every: 1000, startAt: new Date(T0 + 100) });
      assert.equal(info.nextRunAt, T0 + 100);
      assert.equal(info.everyMs, 1000);
      await scheduler.close();
    });

    it('keeps the slot of a schedule declared again unchanged, and replaces a changed one', async () => {
      const { scheduler, clock } = harness(await makeStore());
      await scheduler.schedule({ id: 's', task: 't', cron: '*/10 * * * * *' });
      clock.now = T0 + 60_000;
      assert.equal((await scheduler.schedule({ id: 's', task: 't', cron: '*/10 * * * * *' })).nextRunAt, T0 + 9500);
      const changed = await scheduler.schedule({ id: 's', task: 't', cron: '*/10 * * * * *', data: 1 });
      assert.equal(changed.nextRunAt, T0 + 69_500);
      await scheduler.close();
    });

    it('lists, pauses, resumes without catching up, and removes', async () => {
      const { scheduler, clock, runs } = harness(await makeStore());
      await scheduler.schedule({ id: 'b', task: 'tb', every: '1s' });
      await scheduler.schedule({ id: 'a', task: 'ta', cron: '0 9 * * *', timezone: 'Europe/Paris' });
      assert.deepEqual(
        (await scheduler.list()).map((s) => [s.id, s.task, s.paused]),
        [
          ['a', 'ta', false],
          ['b', 'tb', false],
        ],
      );
      const paused = await scheduler.pause('b');
      assert.equal(paused.paused, true);
      assert.equal(paused.nextRunAt, null);
      clock.now = T0 + 5000;
      assert.equal(await scheduler.tick(), 0);
      const resumed = await scheduler.resume('b');
      assert.equal(resumed.nextRunAt, T0 + 5500);
      assert.equal(await scheduler.tick(), 0);
      clock.now = T0 + 5500;
      assert.equal(await scheduler.tick(), 1);
      assert.equal(runs.length, 1);
      assert.equal(await scheduler.remove('b'), true);
      assert.equal(await scheduler.remove('b'), false);
      clock.now = T0 + 60_000;
      assert.equal(await scheduler.tick(), 0);
      assert.equal(await scheduler.get('b'), undefined);
      await assert.rejects(
        scheduler.pause('b'),
        (error: unknown) => error instanceof BackplaneError && error.code === 'E_NOT_FOUND',
      );
      await assert.rejects(
        scheduler.resume('nope'),
        (error: unknown) => error instanceof BackplaneError && error.code === 'E_NOT_FOUND',
      );
      await scheduler.close();
    });

    it('rejects bad definitions with a typed error naming the field, and writes nothing', async () => {
      const { scheduler } = harness(await makeStore());
      const attempts: Array<[Parameters<typeof scheduler.schedule>[0], string]> = [
        [{ id: 'x', task: 't', cron: '0 24 * * *' }, 'cron field "hour"'],
        [{ id: 'x', task: 't', cron: '* * * *' }, 'cron'],
        [{ id: 'x', task: 't', cron: '* * * * *', every: '1s' }, 'cron'],
        [{ id: 'x', task: 't' }, 'cron'],
        [{ id: 'x', task: 't', every: -5 }, 'every'],
        [{ id: 'x', task: 't', every: 'soon' as '1s' }, 'every'],
        [{ id: 'x', task: 't', cron: '* * * * *', timezone: 'Nowhere/Land' }, 'timezone'],
        [{ id: 'x', task: '', cron: '* * * * *' }, 'task'],
        [{ id: '', task: 't', cron: '* * * * *' }, 'id'],
        [{ id: 'x', task: 't', every: '1s', data: { n: 1n } }, 'data'],
        [{ id: 'x', task: 't', every: '1s', jobOptions: { delay: 5 } as never }, 'jobOptions.delay'],
      ];
      for (const [definition, argument] of attempts) {
        await assert.rejects(
          scheduler.schedule(definition),
          (error: unknown) => error instanceof InvalidArgumentError && error.argument === argument,
          `${JSON.stringify(definition, (_, v: unknown) => (typeof v === 'bigint' ? 'bigint' : v))} -> ${argument}`,
        );
      }
      await assert.rejects(scheduler.schedule({ id: 'x', task: 't', cron: '0 24 * * *' }), InvalidCronError);
      assert.deepEqual(await scheduler.list(), []);
      await scheduler.close();
    });

    it('hands a slot back when Redis fails the enqueue, and skips it on any other error', async () => {
      let mode: 'redis-down' | 'bad-task' | 'ok' = 'redis-down';
      const keys: string[] = [];
      const { scheduler, clock } = harness(await makeStore(), async (_task, _data, options) => {
        if (mode === 'redis-down') throw new RedisUnavailableError('jobs', 'connection refused');
        if (mode === 'bad-task') throw new InvalidArgumentError('name', 'is not a defined task');
        keys.push(options.idempotencyKey);
        return 'job';
      });
      await scheduler.schedule({ id: 'r', task: 't', every: '1s' });
      clock.now = T0 + 500;
      assert.equal(await scheduler.tick(), 0);
      assert.equal((await scheduler.get('r'))?.nextRunAt, T0 + 500);
      mode = 'ok';
      assert.equal(await scheduler.tick(), 1);
      assert.deepEqual(keys, [`schedule:r:${T0 + 500}`]);
      mode = 'bad-task';
      clock.now = T0 + 1500;
      assert.equal(await scheduler.tick(), 0);
      assert.equal((await scheduler.get('r'))?.nextRunAt, T0 + 2500);
      await scheduler.close();
    });

    it('pauses a schedule whose stored definition cannot be read, and runs the others', async () => {
      const store = await makeStore();
      const { scheduler, clock, runs } = harness(store);
      await scheduler.schedule({ id: 'good', task: 't', every: '1s' });
      await store.save('broken', '{"task":"t","cron":"not a cron","data":null,"jobOptions":{}}', T0 + 100);
      clock.now = T0 + 500;
      assert.equal(await scheduler.tick(), 1);
      assert.equal(runs[0]?.options.idempotencyKey, `schedule:good:${T0 + 500}`);
      assert.equal((await scheduler.get('broken'))?.paused, true);
      await scheduler.close();
    });

    it('two schedulers on one store never enqueue one slot twice', async () => {
      const store = await makeStore();
      const keys: string[] = [];
      const enqueue: ScheduleEnqueue = async (_task, _data, options) => {
        keys.push(options.idempotencyKey);
        return 'job';
      };
      const metrics = new Registry();
      const a = harness(store, enqueue, metrics);
      const b = harness(store, enqueue, metrics);
      await a.scheduler.schedule({ id: 'per-second', task: 't', cron: '* * * * * *' });
      await b.scheduler.schedule({ id: 'quarter', task: 't', every: 250 });
      for (let step = 1; step <= 40; step++) {
        a.clock.now = b.clock.now = T0 + step * 250;
        await Promise.all([a.scheduler.tick(), b.scheduler.tick()]);
      }
      assert.equal(new Set(keys).size, keys.length, 'a slot was enqueued twice');
      assert.equal(keys.filter((key) => key.startsWith('schedule:per-second:')).length, 10);
      assert.equal(keys.filter((key) => key.startsWith('schedule:quarter:')).length, 40);
      const counted = (await metrics.getSingleMetric('backplane_schedule_runs_total')?.get())?.values ?? [];
      const enqueued = counted.find((value) => value.labels.outcome === 'enqueued')?.value;
      assert.equal(enqueued, 50);
      await a.scheduler.close();
      await b.scheduler.close();
    });

    it('runs slots by itself once started, and stops on close', async () => {
      const runs: string[] = [];
      const scheduler = createJobScheduler({
        store: await makeStore(),
        tickMs: 50,
        enqueue: async (_task, _data, options) => {
          runs.push(options.idempotencyKey);
          return 'job';
        },
      });
      await scheduler.schedule({ id: 'fast', task: 't', every: 100 });
      scheduler.start();
      scheduler.start();
      await new Promise((resolve) => setTimeout(resolve, 700));
      await scheduler.close();
      await scheduler.close();
      const seen = runs.length;
      assert.ok(seen >= 3, `expected a few runs, saw ${seen}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      assert.equal(runs.length, seen, 'ran after close');
      await assert.rejects(
        scheduler.list(),
        (error: unknown) => error instanceof BackplaneError && error.code === 'E_CLOSED',
      );
    });
  });
}

runSchedulerTests('memory', async () => new MemoryScheduleStore());

let redis: RedisServerHandle | undefined;
let connection: RedisConnection | undefined;
runSchedulerTests(
  'redis',
  async () => {
    redis ??= await startRedisServer();
    if (!connection) {
      connection = new RedisConnection({ name: 'jobs', url: redis.url });
      await connection.connect();
      await connection.waitUntilUp();
    }
    return new RedisScheduleStore(connection, { keyPrefix: `t-${randomUUID()}` });
  },
  redisSkipReason(),
);

after(async () => {
  await connection?.close();
  await redis?.stop();
});

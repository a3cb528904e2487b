/**
 * Two scheduler PROCESSES on one private redis-server, racing for the same slots of a per-second cron
 * and a 200 ms interval for a few seconds: every slot must be enqueued exactly once. This file is also
 * the child program: started with SCHEDULER_CHILD set, it runs one scheduler and prints what it saw.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RedisConnection } from '../../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js';
import { RedisScheduleStore } from './redis-store.js';
import { JobScheduler } from './scheduler.js';

const RUN_MS = 4000;
const INTERVAL_MS = 200;
const runsKey = (prefix: string): string => `${prefix}:test-runs`;

interface ChildReport {
  enqueued: number;
  claimedElsewhere: number;
}

async function child(url: string, prefix: string): Promise<void> {
  const connection = new RedisConnection({ name: 'jobs', url });
  await connection.connect();
  await connection.waitUntilUp();
  const metrics = new Registry();
  const scheduler = new JobScheduler({
    store: new RedisScheduleStore(connection, { keyPrefix: prefix }),
    metrics,
    tickMs: 100,
    // Stands in for jobs.enqueue: what matters here is how often each slot arrives.
    enqueue: async (_task, _data, options) => {
      await connection.client.rpush(runsKey(prefix), `${options.idempotencyKey}|${process.pid}`);
      return options.idempotencyKey;
    },
  });
  // Every process declares the same schedules at boot, as an app would.
  await scheduler.schedule({ id: 'per-second', task: 'tick', cron: '* * * * * *' });
  await scheduler.schedule({ id: 'fast', task: 'tick', every: INTERVAL_MS });
  scheduler.start();
  await new Promise((resolve) => setTimeout(resolve, RUN_MS));
  await scheduler.close();
  const values = (await metrics.getSingleMetric('backplane_schedule_runs_total')?.get())?.values ?? [];
  const count = (outcome: string): number => values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
  const report: ChildReport = { enqueued: count('enqueued'), claimedElsewhere: count('claimed_elsewhere') };
  console.log(JSON.stringify(report));
  await connection.close();
}

function startChild(url: string, prefix: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, SCHEDULER_CHILD: '1', CHILD_REDIS_URL: url, CHILD_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), RUN_MS + 20_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as ChildReport);
      else reject(new Error(`scheduler child exited ${code}: ${err.slice(-1000)}`));
    });
  });
}

if (process.env.SCHEDULER_CHILD) {
  await child(process.env.CHILD_REDIS_URL ?? '', process.env.CHILD_PREFIX ?? 'bp');
} else {
  describe('two scheduler processes on one Redis', { skip: redisSkipReason() }, () => {
    let redis: RedisServerHandle;
    let connection: RedisConnection;

    before(async () => {
      redis = await startRedisServer();
      connection = new RedisConnection({ name: 'check', url: redis.url });
      await connection.connect();
    });

    after(async () => {
      await connection?.close();
      await redis?.stop();
    });

    it('enqueue every slot of a per-second cron and a 200 ms interval exactly once', async () => {
      const prefix = 'race';
      const reports = await Promise.all([startChild(redis.url, prefix), startChild(redis.url, prefix)]);
      const entries = await connection.client.lrange(runsKey(prefix), 0, -1);
      const keys = entries.map((entry) => entry.split('|')[0] as string);
      const duplicates = keys.filter((key, index) => keys.indexOf(key) !== index);
      assert.deepEqual(duplicates, [], 'slots enqueued twice');

      const slotsOf = (id: string): number[] =>
        keys
          .filter((key) => key.startsWith(`schedule:${id}:`))
          .map((key) => Number(key.split(':')[2]))
          .sort((a, b) => a - b);
      const seconds = slotsOf('per-second');
      const fast = slotsOf('fast');
      assert.ok(seconds.length >= 3, `per-second cron ran ${seconds.length} times in ${RUN_MS} ms`);
      assert.ok(fast.length >= 12, `200 ms interval ran ${fast.length} times in ${RUN_MS} ms`);
      // No slot lost between the first and the last either: consecutive slots are one period apart.
      seconds.slice(1).forEach((slot, index) => assert.equal(slot - (seconds[index] as number), 1000));
      fast.slice(1).forEach((slot, index) => assert.equal(slot - (fast[index] as number), INTERVAL_MS));

      const enqueued = reports.reduce((sum, report) => sum + report.enqueued, 0);
      assert.equal(enqueued, keys.length);
      // The processes really raced: some slots were seen due by both and lost by one.
      const contested = reports.reduce((sum, report) => sum + report.claimedElsewhere, 0);
      assert.ok(contested > 0, `no slot was contested (${JSON.stringify(reports)})`);
    });
  });
}

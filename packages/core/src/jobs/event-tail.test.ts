import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { RedisConnection } from '../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../testing/redis-server.js';
import { EventTails } from './event-tail.js';
import { readQueueEvents } from './events.js';
import { createJobs, type Jobs } from './jobs.js';
import type { JobEvent } from './types.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

async function take(events: AsyncIterable<JobEvent>, count = Infinity): Promise<JobEvent[]> {
  const taken: JobEvent[] = [];
  if (count <= 0) return taken;
  for await (const event of events) {
    taken.push(event);
    if (taken.length >= count) break;
  }
  return taken;
}

const skipRedis = redisSkipReason();

for (const backend of ['memory', 'redis'] as const) {
  describe(
    `job event readers share one stream reader per queue (${backend})`,
    { skip: backend === 'redis' && skipRedis },
    () => {
      let server: RedisServerHandle | undefined;
      let connection: RedisConnection | undefined;
      let jobs: Jobs;

      before(async () => {
        if (backend === 'redis') {
          server = await startRedisServer();
          connection = new RedisConnection({ name: 'jobs', url: server.url });
          await connection.connect();
          await connection.waitUntilUp();
        }
        jobs = createJobs(connection ? { connection } : {});
      });

      after(async () => {
        await jobs.close();
        await connection?.close();
        await server?.stop();
      });

      it('hands a reader resuming from an old id from the stream to the live events with no gap and no repeat', async () => {
        const task = jobs.defineTask('gapless', async () => undefined, { queue: 'gapless' });
        const total = 300;
        let written = 0;
        const producer = (async () => {
          for (; written < total; written++) await task.enqueue({ n: written });
        })();
        // Start reading from the beginning while the producer is mid-way: part of what the reader gets is
        // replayed from the stream, the rest comes live.
        await until(() => written >= 100, 'a third of the jobs written');
        const reading = take(jobs.queueEvents('gapless', { lastEventId: '0' }), total);
        await producer;
        const events = await reading;
        const stream = await jobs.store.readEvents('gapless', '0', 10 * total, 0);
        assert.equal(stream.length, total);
        assert.deepEqual(
          events.map((event) => event.id),
          stream.map((raw) => raw.id),
        );
        assert.ok(events.every((event) => event.type === 'waiting'));
      });

      it('keeps a consumer that falls behind complete and in order, reading the stream again instead of buffering', async () => {
        const tails = new EventTails(jobs.store, silentLogger(), { maxBuffered: 5 });
        let subscriptions = 0;
        const subscribe = tails.subscribe.bind(tails);
        tails.subscribe = (queue, localId) => {
          subscriptions += 1;
          return subscribe(queue, localId);
        };
        const task = jobs.defineTask('slow-reader', async () => undefined, { queue: 'slow-reader' });
        await task.enqueue({ n: -1 });
        const start = await jobs.store.lastEventId('slow-reader');
        const total = 120;
        const controller = new AbortController();
        const seen: string[] = [];
        const reading = (async () => {
          for await (const event of readQueueEvents(jobs.store, tails, 'slow-reader', {
            lastEventId: start,
            signals: [controller.signal],
            logger: silentLogger(),
          })) {
            seen.push(event.id);
            if (seen.length === total) return;
            await sleep(3);
          }
        })();
        for (let n = 0; n < total; n++) await task.enqueue({ n });
        await reading;
        controller.abort();
        tails.close();
        const stream = await jobs.store.readEvents('slow-reader', start, 10 * total, 0);
        assert.deepEqual(
          seen,
          stream.map((raw) => raw.id),
        );
        assert.ok(subscriptions > 1, `the reader fell behind and subscribed again (subscriptions: ${subscriptions})`);
      });

      it('stops a queue reader nobody listens to after its linger', async () => {
        const tails = new EventTails(jobs.store, silentLogger(), { lingerMs: 50 });
        const controller = new AbortController();
        const reading = take(
          readQueueEvents(jobs.store, tails, 'linger', {
            lastEventId: undefined,
            signals: [controller.signal],
            logger: silentLogger(),
          }),
        );
        await until(() => tails.queues.includes('linger'), 'the reader started');
        controller.abort();
        assert.deepEqual(await reading, []);
        await until(() => tails.queues.length === 0, 'the reader stopped');
        tails.close();
      });

      it('ends a reader at its AbortSignal.timeout even when that signal is held by nothing else and a GC runs', async () => {
        // AbortSignal.any holds its sources weakly: a timeout signal passed only to it is collected and
        // never fires (Node 20), and a reader given one never ended.
        v8.setFlagsFromString('--expose-gc');
        const gc = runInNewContext('gc') as () => void;
        const reading = take(jobs.queueEvents('gc-timeout', { signal: AbortSignal.timeout(300) }));
        await sleep(50);
        gc();
        gc();
        const outcome = await Promise.race([reading.then(() => 'ended'), sleep(5000).then(() => 'still reading')]);
        assert.equal(outcome, 'ended');
      });

      it('refuses a lastEventId that is not an event id, naming it, before reading anything', () => {
        for (const lastEventId of ['abc', '12-x', '-1', '1-2-3', ' 1']) {
          for (const read of [
            () => jobs.events('gapless:1', { lastEventId }),
            () => jobs.queueEvents('gapless', { lastEventId }),
          ]) {
            assert.throws(read, (error: unknown) => {
              assert.ok(error instanceof InvalidArgumentError);
              assert.equal(error.code, 'E_INVALID_ARGUMENT');
              assert.equal(error.argument, 'lastEventId');
              return true;
            });
          }
        }
        // The forms Redis accepts are fine: a full id, a bare millisecond time, '0', and '$' (only new ones).
        for (const lastEventId of ['1700000000000-3', '1700000000000', '0', '$'])
          jobs.queueEvents('gapless', { lastEventId });
      });

      if (backend === 'redis') {
        it('serves fifty job watchers with one blocking connection', async () => {
          // A jobs instance of its own, on a database of its own: the readers the tests above left
          // lingering are on database 0.
          const own = new RedisConnection({ name: 'jobs', url: `${(server as RedisServerHandle).url}/5` });
          await own.connect();
          await own.waitUntilUp();
          const jobs = createJobs({ connection: own });
          /** Connections of database 5 blocked in XREAD right now. */
          const blockedReads = async (): Promise<number> => {
            const list = (await own.client.client('LIST')) as string;
            return list
              .split('\n')
              .filter((line) => / db=5 /.test(line) && / cmd=xread/.test(line) && / flags=\w*b/.test(line)).length;
          };
          let open!: () => void;
          const gate = new Promise<void>((resolve) => (open = resolve));
          const task = jobs.defineTask(
            'watched',
            async () => {
              await gate;
              return 'done';
            },
            { queue: 'watched' },
          );
          const ids = await Promise.all(Array.from({ length: 50 }, (_, n) => task.enqueue({ n })));
          const watching = ids.map((id) => take(jobs.events(id)));
          await until(async () => (await blockedReads()) > 0, 'a reader blocked on the stream');
          // Every watcher has subscribed by now (they start in the same tick); a second look, after the
          // ones that would have opened a connection each had the time to, still finds one.
          await sleep(200);
          assert.equal(await blockedReads(), 1);
          const worker = jobs.createWorker({ queues: ['watched'], concurrency: 50 });
          await worker.start();
          open();
          const seen = await Promise.all(watching);
          await worker.close();
          await jobs.close();
          await own.close();
          for (const [n, events] of seen.entries()) {
            assert.deepEqual(
              events.map((event) => [event.jobId, event.type]),
              [
                [ids[n], 'active'],
                [ids[n], 'completed'],
              ],
            );
            assert.equal(events[1]?.data, 'done');
          }
        });
      }
    },
  );
}

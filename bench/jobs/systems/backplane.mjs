// backplane side of the jobs bench, from the built workspace (npm run bench builds packages/core first).
// Each function runs in its own fresh Node process (see child.mjs).
import { createRequire } from 'node:module';
import { RedisConnection, createJobs } from '../../../packages/core/dist/index.js';

export const name = 'backplane';
const BULK_SLICE = Number(process.env.BENCH_BACKPLANE_BULK_SLICE ?? 2000);

// The engine's own prom-client (the one packages/core resolves), so its collectors register on our registry.
const { Registry } = createRequire(import.meta.resolve('../../../packages/core/dist/index.js'))('prom-client');

export async function create({ host, port, queueName, keepCompleted }) {
  // As Backplane builds its jobs connection: without ioredis auto-pipelining (the engine batches itself),
  // and with one stall timer per client instead of a command timer per command.
  const connection = new RedisConnection({
    name: 'jobs',
    url: `redis://${host}:${port}`,
    autoPipelining: false,
    stallWatch: true,
  });
  await connection.connect();
  await connection.waitUntilUp();
  const metrics = new Registry();
  // Like BullMQ's removeOnComplete: true (throughput) and { count: 1000 } (latency).
  const retention = { completed: { count: keepCompleted ? 1000 : 0 }, failed: { count: 1000 } };
  const jobs = createJobs({ connection, metrics, retention });
  let handler = async () => undefined;
  jobs.defineTask('noop', (data) => handler(data), { queue: queueName });
  const closers = [() => jobs.close(), () => connection.close()];

  return {
    async enqueueBulk(payloads) {
      // Fed in slices of 2,000 like the runs before the engine sliced big bulks itself (engine 73b0131
      // overflowed the stack at 10,000+); each slice is two script calls now.
      for (let from = 0; from < payloads.length; from += BULK_SLICE) {
        await jobs.enqueueBulk(
          'noop',
          payloads.slice(from, from + BULK_SLICE).map((data) => ({ data })),
        );
      }
    },

    async startWorker({ concurrency, handler: run, onCompleted }) {
      handler = run;
      const worker = jobs.createWorker({ queues: [queueName], concurrency });
      // The engine has no per-job 'completed' event in the worker process; its attempt histogram is
      // observed right after the finish reply arrives, which is exactly the moment to count.
      const histogram = metrics.getSingleMetric('backplane_jobs_attempt_duration_seconds');
      if (!histogram) throw new Error('backplane: attempt histogram not found; adapt bench/jobs/systems/backplane.mjs');
      const observe = histogram.observe.bind(histogram);
      histogram.observe = (labels, value) => {
        observe(labels, value);
        if (labels?.state === 'completed') onCompleted();
      };
      closers.unshift(() => worker.close({ graceMs: 5000 }));
      await worker.start();
    },

    async prepareRoundTrips() {},

    async roundTrip(data, timeoutMs) {
      const id = await jobs.enqueue('noop', data);
      await jobs.waitForResult(id, { timeout: timeoutMs });
    },

    async close() {
      for (const close of closers) await close();
    },
  };
}

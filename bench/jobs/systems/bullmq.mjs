// BullMQ side of the jobs bench. Each function runs in its own fresh Node process (see child.mjs).
import { Queue, QueueEvents, Worker } from 'bullmq';

export const name = 'bullmq';

export async function create({ host, port, queueName, keepCompleted }) {
  const connection = { host, port };
  // removeOnComplete must be a per-job option (Queue defaultJobOptions); as a Worker option it breaks
  // BullMQ's Lua. The latency run keeps the last 1000, so waitUntilFinished never sees a removed job.
  const removeOnComplete = keepCompleted ? { count: 1000 } : true;
  const queue = new Queue(queueName, { connection, defaultJobOptions: { removeOnComplete, removeOnFail: true } });
  await queue.waitUntilReady();
  const closers = [() => queue.close()];
  let queueEvents;

  return {
    async enqueueBulk(payloads) {
      await queue.addBulk(payloads.map((data) => ({ name: 'noop', data })));
    },

    async startWorker({ concurrency, handler, onCompleted }) {
      const worker = new Worker(queueName, async (job) => handler(job.data), { connection, concurrency });
      worker.on('completed', () => onCompleted());
      worker.on('error', (error) => console.error('[bullmq worker]', error.message));
      closers.unshift(() => worker.close());
      await worker.waitUntilReady();
    },

    async prepareRoundTrips() {
      queueEvents = new QueueEvents(queueName, { connection });
      closers.unshift(() => queueEvents.close());
      await queueEvents.waitUntilReady();
    },

    async roundTrip(data, timeoutMs) {
      const job = await queue.add('noop', data);
      await job.waitUntilFinished(queueEvents, timeoutMs);
    },

    async close() {
      for (const close of closers) await close();
    },
  };
}

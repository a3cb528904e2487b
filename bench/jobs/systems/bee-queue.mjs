// bee-queue side of the jobs bench. Each function runs in its own fresh Node process (see child.mjs).
import BeeQueue from 'bee-queue';

export const name = 'bee-queue';

export async function create({ host, port, queueName }) {
  const redis = { host, port };
  const producer = new BeeQueue(queueName, { redis, isWorker: false, getEvents: true, removeOnSuccess: true });
  await producer.ready();
  const closers = [() => producer.close()];

  // The per-job 'succeeded' event is lost when the completion beats the save() reply (a known bug),
  // so completions are taken from the queue-level event and kept when they arrive early.
  const waiters = new Map();
  const early = new Set();
  producer.on('job succeeded', (jobId) => {
    const waiter = waiters.get(jobId);
    if (waiter) {
      waiters.delete(jobId);
      waiter();
    } else early.add(jobId);
  });

  return {
    async enqueueBulk(payloads) {
      const errors = await producer.saveAll(payloads.map((data) => producer.createJob(data)));
      if (errors.size > 0) throw new Error(`bee-queue saveAll: ${errors.size} jobs failed`);
    },

    async startWorker({ concurrency, handler, onCompleted }) {
      const worker = new BeeQueue(queueName, { redis, isWorker: true, getEvents: false, removeOnSuccess: true });
      worker.on('succeeded', () => onCompleted());
      worker.on('error', (error) => console.error('[bee-queue worker]', error.message));
      worker.process(concurrency, async (job) => handler(job.data));
      await worker.ready();
      closers.unshift(() => worker.close(5000));
    },

    async prepareRoundTrips() {},

    async roundTrip(data, timeoutMs) {
      const job = await producer.createJob(data).save();
      if (early.delete(job.id)) return;
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(job.id);
          reject(new Error(`bee-queue job ${job.id} not seen complete within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(job.id, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },

    async close() {
      for (const close of closers) await close();
    },
  };
}

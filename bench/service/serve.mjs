// One system under test, in its own process: `node serve.mjs bare|backplane PORT [REDIS_URL]`.
// Prints "ready <jobId>" once it answers, and runs until killed.
import Fastify from 'fastify';

const [mode, portText, redisUrl] = process.argv.slice(2);
const port = Number(portText);

if (mode === 'bare') {
  const app = Fastify({ logger: false });
  // A body of the same shape and size as a job, so serialization costs compare fairly.
  const body = {
    id: 'default:abcdefgh1',
    name: 'demo.render',
    queue: 'default',
    state: 'active',
    data: { stepMs: 60000 },
    result: null,
    error: null,
    attempts: 1,
    maxAttempts: 1,
    priority: 0,
    progress: { percent: 40, message: 'rendering frames', data: { step: 3, of: 5 } },
    group: null,
    workerId: 'host:1:abc',
    cancelRequested: false,
    createdAt: 1,
    runAt: null,
    startedAt: 2,
    finishedAt: null,
  };
  app.get('/tasks/:id', async () => body);
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port });
  console.log('ready default:abcdefgh1');
} else {
  const { Backplane, loadConfig, silentLogger } = await import('../../packages/core/dist/index.js');
  const { buildApp, defineTasks } = await import('../../packages/server/dist/index.js');
  const env = { RATE_LIMIT_PER_MINUTE: '0', LOG_LEVEL: 'silent', ...(redisUrl ? { REDIS_URL: redisUrl } : {}) };
  const backplane = await Backplane.start(loadConfig(env), { logger: silentLogger() });
  await defineTasks(backplane.jobs, undefined, silentLogger());
  await backplane.jobs.createWorker({ concurrency: 2 }).start();
  const app = await buildApp({ backplane, logger: silentLogger() });
  await app.fastify.listen({ host: '127.0.0.1', port });
  // A job that stays active for the whole run, moving a step every 2 s: the render-tracker case.
  const id = await backplane.jobs.enqueue('demo.render', { stepMs: 2000 });
  console.log(`ready ${id}`);
}
process.on('SIGINT', () => process.exit(0));

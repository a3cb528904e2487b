// The service benchmark: requests per second of GET /tasks/:id (cache-first) and GET /health against a
// bare Fastify route, and Redis commands per request while 100 clients poll one running job.
// Usage: npm run build && node bench/service/run.mjs [--rounds 3] [--seconds 8]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { freePort, startRedisServer } from '../../packages/core/dist/testing/index.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const ROUNDS = option('rounds', 3);
const SECONDS = option('seconds', 8);
const SERVE = fileURLToPath(new URL('./serve.mjs', import.meta.url));

async function startSystem(mode, redisUrl) {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVE, mode, String(port), ...(redisUrl ? [redisUrl] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffer = '';
  for await (const chunk of child.stdout) {
    buffer += chunk.toString();
    const match = /ready (\S+)/.exec(buffer);
    if (match) return { child, base: `http://127.0.0.1:${port}`, jobId: match[1] };
  }
  throw new Error(`${mode} did not start`);
}

async function stopSystem(system) {
  system.child.kill('SIGKILL');
  await once(system.child, 'exit');
}

async function load(url, connections) {
  const result = await autocannon({ url, connections, duration: SECONDS });
  if (result.errors || result.non2xx) throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return result;
}

async function commandsProcessed(redis) {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

const redisServer = await startRedisServer();
const admin = new Redis(redisServer.url);
const cases = [
  { name: 'bare Fastify GET /tasks/:id (constant body)', mode: 'bare', path: 'tasks' },
  { name: 'backplane GET /tasks/:id (Redis, cache-first)', mode: 'backplane', redis: true, path: 'tasks' },
  { name: 'backplane GET /tasks/:id (memory backend)', mode: 'backplane', redis: false, path: 'tasks' },
  { name: 'bare Fastify GET /health', mode: 'bare', path: 'health' },
  { name: 'backplane GET /health (Redis)', mode: 'backplane', redis: true, path: 'health' },
];
const results = new Map(cases.map((c) => [c.name, []]));
const latencies = new Map(cases.map((c) => [c.name, []]));

for (let round = 1; round <= ROUNDS; round += 1) {
  for (const c of cases) {
    await admin.flushall();
    const system = await startSystem(c.mode, c.redis ? redisServer.url : undefined);
    const url =
      c.path === 'tasks' ? `${system.base}/tasks/${encodeURIComponent(system.jobId)}` : `${system.base}/health`;
    await load(url, 50).catch(() => undefined); // warm-up
    const result = await load(url, 50);
    results.get(c.name).push(result.requests.average);
    latencies.get(c.name).push(result.latency.p99);
    await stopSystem(system);
    process.stderr.write(`round ${round}: ${c.name}: ${fmt(result.requests.average)} req/s\n`);
  }
}

// Redis commands per request while 100 clients poll one running job (the render-tracker scenario).
await admin.flushall();
const poller = await startSystem('backplane', redisServer.url);
const pollUrl = `${poller.base}/tasks/${encodeURIComponent(poller.jobId)}`;
await new Promise((resolve) => setTimeout(resolve, 1000));
const idleBefore = await commandsProcessed(admin);
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
const idlePerSecond = ((await commandsProcessed(admin)) - idleBefore - 1) / SECONDS;
const before = await commandsProcessed(admin);
const polled = await load(pollUrl, 100);
const during = (await commandsProcessed(admin)) - before - 1;
await stopSystem(poller);
const perRequest = Math.max(0, during - idlePerSecond * SECONDS) / polled.requests.total;

const bareTasks = median(results.get(cases[0].name));
const bareHealth = median(results.get(cases[3].name));
console.log(
  `\n## Service benchmark (${ROUNDS} rounds x ${SECONDS} s, 50 connections, autocannon in the bench process; Node ${process.version})\n`,
);
console.log('| case | req/s median | min | max | p99 ms (median) | vs bare Fastify |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const c of cases) {
  const values = results.get(c.name);
  const base = c.path === 'tasks' ? bareTasks : bareHealth;
  console.log(
    `| ${c.name} | ${fmt(median(values))} | ${fmt(Math.min(...values))} | ${fmt(Math.max(...values))} | ${median(latencies.get(c.name))} | ${(median(values) / base).toFixed(2)}x |`,
  );
}
console.log(
  `\nPolling one running job with 100 clients for ${SECONDS} s: ${fmt(polled.requests.total)} requests, ` +
    `${fmt(during)} Redis commands (idle background ~${idlePerSecond.toFixed(1)}/s subtracted): ${perRequest.toFixed(4)} Redis commands per request.`,
);

await admin.quit();
await redisServer.stop();

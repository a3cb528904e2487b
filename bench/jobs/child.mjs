// Runs ONE measurement of ONE system in this (fresh) Node process and prints its result as JSON on
// the last line of stdout. Started by run.mjs:  node child.mjs <system> <scenario> <port>
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { delta, snapshot } from './redis-stats.mjs';

const [systemName, scenario, portText] = process.argv.slice(2);
const host = '127.0.0.1';
const port = Number(portText);
if (!port || port === 6379) throw new Error('child.mjs needs the private port (never 6379)');

const SIZES = {
  throughput: Number(process.env.BENCH_JOBS ?? 20_000),
  latency: Number(process.env.BENCH_LATENCY_JOBS ?? 2_000),
  memory: Number(process.env.BENCH_MEMORY_JOBS ?? 100_000),
};
const CONCURRENCY = 50;
const JOB_TIMEOUT_MS = 10_000;

const system = await import(`./systems/${systemName}.mjs`);
const stats = new Redis({ host, port, lazyConnect: true });
await stats.connect();

// A run that stalls must fail, not hang the whole bench.
setTimeout(() => {
  console.error(`watchdog: ${systemName} ${scenario} took over 180 s`);
  process.exit(3);
}, 180_000).unref();

const payloads = (count) => Array.from({ length: count }, (_, i) => ({ i, kind: 'bench' }));

async function throughput(handler) {
  const total = SIZES.throughput;
  const instance = await system.create({ host, port, queueName: 'bench', keepCompleted: false });
  const s0 = await snapshot(stats);
  const e0 = performance.now();
  await instance.enqueueBulk(payloads(total));
  const enqueueMs = performance.now() - e0;
  const s1 = await snapshot(stats);

  let completed = 0;
  let halfAt = 0;
  let allDone;
  const done = new Promise((resolve) => (allDone = resolve));
  const p0 = performance.now();
  await instance.startWorker({
    concurrency: CONCURRENCY,
    handler,
    onCompleted: () => {
      completed += 1;
      if (completed === total >> 1) halfAt = performance.now();
      if (completed === total) allDone();
    },
  });
  await done;
  const processMs = performance.now() - p0;
  const s2 = await snapshot(stats);
  await instance.close();
  const enqueue = delta(s0, s1);
  const processing = delta(s1, s2);
  const all = delta(s0, s2);
  return {
    jobs: total,
    enqueueMs,
    processMs,
    processPerSec: total / (processMs / 1000),
    // The second half alone: the rate once start-up (connections, JIT warm-up, first claims) is behind.
    secondHalfPerSec: (total - (total >> 1)) / ((p0 + processMs - halfAt) / 1000),
    enqueuePerSec: total / (enqueueMs / 1000),
    commandsPerJob: all.commands / total,
    enqueueCommandsPerJob: enqueue.commands / total,
    processCommandsPerJob: processing.commands / total,
    cpuMicrosPerJob: all.cpuMicros / total,
    processCpuMicrosPerJob: processing.cpuMicros / total,
    commandStats: perJob(all.commandStats, total),
  };
}

/**
 * 2,000 sequential round trips after `warmup` unmeasured ones, in a fresh process. With few warm-up jobs
 * (`latency`, 50) the measured window is mostly V8's warm-up: the hot path being compiled on a helper
 * thread that competes with redis-server for the cores. With 1,000 (`latency-warm`) it is the steady
 * state a long-running worker is in.
 */
async function latency(warmup) {
  const total = SIZES.latency;
  const instance = await system.create({ host, port, queueName: 'bench', keepCompleted: true });
  await instance.startWorker({ concurrency: CONCURRENCY, handler: async () => undefined, onCompleted: () => {} });
  await instance.prepareRoundTrips();
  for (let i = 0; i < warmup; i++) await instance.roundTrip({ i, kind: 'warmup' }, JOB_TIMEOUT_MS);
  const samples = [];
  const cpu0 = process.cpuUsage();
  const threads0 = threadTimes();
  for (let i = 0; i < total; i++) {
    const started = performance.now();
    await instance.roundTrip({ i, kind: 'bench' }, JOB_TIMEOUT_MS);
    samples.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpu0);
  const threads = threadTimes(threads0);
  await instance.close();
  const half = total >> 1;
  // Where the slow round trips fall: the first half of the run includes V8's warm-up (compiling the
  // hot paths on a helper thread), the second half mostly does not.
  const over1ms = (list) => list.filter((ms) => ms > 1).length;
  const firstHalfOver1ms = over1ms(samples.slice(0, half));
  const secondHalfOver1ms = over1ms(samples.slice(half));
  const secondHalf = samples.slice(half).sort((a, b) => a - b);
  samples.sort((a, b) => a - b);
  const pick = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    jobs: total,
    warmup,
    p50: pick(samples, 0.5),
    p95: pick(samples, 0.95),
    p99: pick(samples, 0.99),
    max: samples.at(-1),
    secondHalfP99: pick(secondHalf, 0.99),
    firstHalfOver1ms,
    secondHalfOver1ms,
    // This Node process (producer, worker and waiter together), per job of the measured loop.
    nodeCpuMicrosPerJob: (cpu.user + cpu.system) / total,
    ...(threads && {
      nodeMainWaitMicrosPerJob: threads.mainWaitNs / 1000 / total,
      nodeHelperMicrosPerJob: threads.otherRunNs / 1000 / total,
    }),
  };
}

/**
 * On Linux, the run and run-queue wait time of this process's threads (/proc schedstat): how long the
 * main thread was ready to run but had no core, and how much CPU V8's helper threads (GC, compiler)
 * took. Undefined elsewhere.
 */
function threadTimes(since) {
  let tids;
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  let mainWaitNs = 0;
  let otherRunNs = 0;
  for (const tid of tids) {
    let fields;
    try {
      fields = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    } catch {
      continue;
    }
    if (Number(tid) === process.pid) mainWaitNs = fields[1];
    else otherRunNs += fields[0];
  }
  if (!since) return { mainWaitNs, otherRunNs };
  return { mainWaitNs: mainWaitNs - since.mainWaitNs, otherRunNs: otherRunNs - since.otherRunNs };
}

async function memory() {
  const total = SIZES.memory;
  const instance = await system.create({ host, port, queueName: 'bench', keepCompleted: false });
  await sleep(200);
  const s0 = await snapshot(stats);
  const chunk = 10_000;
  for (let from = 0; from < total; from += chunk) {
    const count = Math.min(chunk, total - from);
    await instance.enqueueBulk(payloads(count).map((p, k) => ({ ...p, i: from + k })));
  }
  await sleep(200);
  const s1 = await snapshot(stats);
  await instance.close();
  const keys = await stats.dbsize();
  return { jobs: total, bytesPerJob: delta(s0, s1).usedMemory / total, keys };
}

function perJob(commandStats, total) {
  const out = {};
  for (const [name, stat] of Object.entries(commandStats))
    out[name] = { calls: stat.calls / total, usec: stat.usec / total };
  return out;
}

const scenarios = {
  noop: () => throughput(async () => undefined),
  sleep1: () => throughput(() => sleep(1)),
  latency: () => latency(Number(process.env.BENCH_WARMUP ?? 50)),
  'latency-warm': () => latency(Number(process.env.BENCH_WARM_WARMUP ?? 1000)),
  memory,
};
const result = await scenarios[scenario]();
stats.disconnect();
console.log(JSON.stringify({ system: systemName, scenario, ...result }));
process.exit(0);

// One system, one scenario, one fresh process: prints one JSON line with the result.
//   node child.mjs <system> <scenario> <redis-url> [json-options]
// Scenarios: hit-l1l2, hit-l2, stampede, killed. For `killed` the parent kills Redis after the child
// prints {"warm":true} and then writes "go" on stdin.
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from './systems.mjs';

const [system, scenario, url, extraText] = process.argv.slice(2);
const extra = extraText ? JSON.parse(extraText) : {};
const KEYS = 1_000;
const IN_FLIGHT = 100;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3_000);

const value = (i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b', 'c'], body: 'x'.repeat(900), n: i * 3 });
const emit = (body) => process.stdout.write(`${JSON.stringify(body)}\n`);

function percentile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** `IN_FLIGHT` loops calling `call(i)` for `durationMs`; latency of every call, rejects counted. */
async function drive(call, durationMs, { yieldBetweenCalls = false } = {}) {
  const latencies = [];
  let rejects = 0;
  let calls = 0;
  const end = performance.now() + durationMs;
  const loop = async () => {
    while (performance.now() < end) {
      const i = calls++;
      const started = performance.now();
      try {
        await call(i);
      } catch {
        rejects += 1;
      }
      latencies.push(performance.now() - started);
      // Requests reach a server through I/O callbacks; without this, loops of L1 hits (pure microtasks)
      // would starve the timers of the loaders running beside them, which no real server does.
      if (yieldBetweenCalls) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
  const cpuUsed = process.cpuUsage(cpu);
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    opsPerSec: Math.round((latencies.length / elapsed) * 1000),
    // CPU of this process per call: steadier than wall time on a shared machine.
    cpuUsPerOp: (cpuUsed.user + cpuUsed.system) / Math.max(1, latencies.length),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? 0,
    calls: latencies.length,
    rejects,
  };
}

const mode = scenario === 'hit-l2' ? 'l2' : 'l1l2';
const cache = await build(system, mode, url, { lease: scenario === 'stampede' });
let result;

if (scenario === 'hit-l1l2' || scenario === 'hit-l2') {
  for (let i = 0; i < KEYS; i += 1) await cache.getOrSet(`hot:${i}`, async () => value(i));
  let checked = 0;
  const read = async (i) => {
    const k = i % KEYS;
    const got = await cache.getOrSet(`hot:${k}`, async () => {
      throw new Error('a hot key missed');
    });
    if (got.id !== k) throw new Error('wrong value');
    checked += 1;
  };
  await drive(read, 500); // warm the JIT and the connection
  result = await drive(read, DURATION_MS);
  result.checked = checked;
} else if (scenario === 'stampede') {
  const callers = extra.callers ?? 1_000;
  let runs = 0;
  const loader = async () => {
    runs += 1;
    await sleep(200);
    return value(1);
  };
  if (extra.barrier) {
    // Every process is built and connected before any calls: the parent says go to all at once.
    emit({ ready: true });
    await createInterface({ input: process.stdin })[Symbol.asyncIterator]().next();
  }
  const answers = await Promise.allSettled(Array.from({ length: callers }, () => cache.getOrSet(extra.key, loader)));
  result = { loaderRuns: runs, rejects: answers.filter((a) => a.status === 'rejected').length };
} else if (scenario === 'killed') {
  const LOADER_MS = 5;
  for (let i = 0; i < KEYS; i += 1) await cache.getOrSet(`hot:${i}`, async () => value(i));
  emit({ warm: true });
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  await lines.next();
  // Half the calls read warmed keys, half need the loader (5 ms): Redis is gone for both.
  const call = (i) => {
    const k = i % (2 * KEYS);
    const bounded = Promise.race([
      cache.getOrSet(`hot:${k}`, async () => {
        await sleep(LOADER_MS);
        return value(k);
      }),
      sleep(5_000).then(() => {
        throw new Error('call took over 5 s');
      }),
    ]);
    return bounded;
  };
  result = await drive(call, DURATION_MS, { yieldBetweenCalls: true });
  result.loaderMs = LOADER_MS;
}

emit({ system, scenario, ...result });
await Promise.race([cache.close(), sleep(2_000)]);
process.exit(0);

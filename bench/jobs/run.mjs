// Backplane jobs side by side with BullMQ and bee-queue on ONE private redis-server.
//
//   cd bench/jobs && npm install && npm run bench          (3 rounds; --rounds N, --quick, --only a,b)
//
// Needs `redis-server` on PATH. Starts its own server on a free loopback port (never 6379) with
// persistence off, FLUSHALLs that private server before every measurement, runs every measurement of
// every system in a fresh Node process (child.mjs), interleaves the systems round by round (rotating
// who goes first), and prints medians (min–max) with ratios. Raw results go to results/<time>.json.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1] : fallback;
};
const quick = flag('quick');
const rounds = Number(option('rounds', quick ? 1 : 3));
const systems = option('only', 'backplane,bullmq,bee-queue').split(',');
const scenarios = option('scenarios', 'noop,sleep1,latency,latency-warm,memory').split(',');
const env = quick ? { BENCH_JOBS: '5000', BENCH_LATENCY_JOBS: '500', BENCH_MEMORY_JOBS: '20000' } : {};

if (!flag('no-build')) {
  try {
    execFileSync('npx', ['tsc', '-b', 'packages/core'], { cwd: new URL('../..', import.meta.url), stdio: 'inherit' });
  } catch {
    console.error('warning: building packages/core reported errors; using whatever dist/ holds');
  }
}

const backplaneUsable = systems.includes('backplane') ? await probeBackplane() : false;
const active = systems.filter((s) => s !== 'backplane' || backplaneUsable);

const port = await freePort();
if (port === 6379) throw new Error('refusing to use 6379');
const server = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  {
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let serverOutput = '';
server.stdout.on('data', (chunk) => (serverOutput = (serverOutput + chunk).slice(-2000)));
server.stderr.on('data', (chunk) => (serverOutput = (serverOutput + chunk).slice(-2000)));
const stopServer = () => {
  if (server.exitCode === null) server.kill('SIGTERM');
};
process.on('exit', stopServer);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
// A loaded machine can take seconds to start a process; wait for PONG on a raw socket before connecting.
const deadline = Date.now() + 30_000;
while (!(await answersPing(port))) {
  if (server.exitCode !== null || Date.now() > deadline) {
    throw new Error(`private redis-server did not start: ${serverOutput.trim().split('\n').slice(-3).join(' | ')}`);
  }
  await sleep(50);
}
const admin = new Redis({ host: '127.0.0.1', port });
admin.on('error', (error) => console.error('[admin client]', error.message));
const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
console.error(
  `private redis-server ${version} on 127.0.0.1:${port}; systems: ${active.join(', ')}; ${rounds} round(s)`,
);

const loadAtStart = os.loadavg()[0];
const results = [];
for (let round = 0; round < rounds; round++) {
  for (const scenario of scenarios) {
    // Rotate who goes first so warm caches and background load do not favour one system.
    const order = active.map((_, k) => active[(k + round) % active.length]);
    for (const system of order) {
      await admin.flushall();
      await admin.config('RESETSTAT');
      const result = await runChild(system, scenario);
      if (result) {
        results.push({ round, ...result });
        console.error(`  round ${round + 1} ${scenario.padEnd(7)} ${system.padEnd(9)} ${summary(result)}`);
      }
    }
  }
}
admin.disconnect();
stopServer();

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(
  new URL(`./results/${stamp}.json`, import.meta.url),
  JSON.stringify({ version, rounds, results }, null, 2),
);
console.log(
  `\nredis-server ${version}, Node ${process.version}, ${os.cpus().length} cores; load average ${loadAtStart.toFixed(1)} at start, ` +
    `${os.loadavg()[0].toFixed(1)} at end (other work on the machine shows up in wall-time figures). ` +
    `${rounds} round(s); jobs: ${env.BENCH_JOBS ?? 20_000} per throughput run, ${env.BENCH_LATENCY_JOBS ?? 2_000} sequential for latency, ` +
    `${env.BENCH_MEMORY_JOBS ?? 100_000} waiting for memory.`,
);
console.log(renderTable(results, active));
console.log(renderCommandBreakdown(results, active));
if (active.includes('backplane')) console.log(renderTargets(results));
if (!backplaneUsable && systems.includes('backplane')) {
  console.log('\nbackplane was left out: its jobs engine is not in packages/core/dist yet (see the warning above).');
}
process.exit(0);

// ---------------------------------------------------------------- helpers

async function probeBackplane() {
  try {
    const core = await import('../../packages/core/dist/index.js');
    if (typeof core.createJobs === 'function') return true;
    console.error('warning: packages/core/dist has no createJobs yet; backplane left out');
  } catch (error) {
    console.error(`warning: cannot load packages/core/dist (${error.message}); backplane left out`);
  }
  return false;
}

function runChild(system, scenario) {
  return new Promise((resolve) => {
    // BENCH_CHILD_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the measured processes.
    const nodeArgs = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, 'child.mjs', system, scenario, String(port)], {
      cwd: new URL('.', import.meta.url),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1);
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(last));
      } catch (error) {
        console.error(`  ${system} ${scenario} FAILED (${error.message}): ${out.slice(-500)}`);
        resolve(undefined);
      }
    });
  });
}

function summary(r) {
  if (r.scenario.startsWith('latency'))
    return `p50 ${r.p50.toFixed(2)} p95 ${r.p95.toFixed(2)} p99 ${r.p99.toFixed(2)} ms`;
  if (r.scenario === 'memory') return `${r.bytesPerJob.toFixed(0)} B/job (${r.keys} keys)`;
  return `${Math.round(r.processPerSec)} jobs/s, enqueue ${Math.round(r.enqueuePerSec)}/s, ${r.commandsPerJob.toFixed(2)} cmds/job, ${r.cpuMicrosPerJob.toFixed(1)} µs cpu/job`;
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1) };
}

function renderTable(all, names) {
  const rows = [
    ['no-op processing, jobs/s (higher is better)', 'noop', (r) => r.processPerSec, 0, 'high'],
    ['1 ms handler processing, jobs/s', 'sleep1', (r) => r.processPerSec, 0, 'high'],
    ['no-op, second half of the run only, jobs/s', 'noop', (r) => r.secondHalfPerSec, 0, 'high'],
    ['1 ms handler, second half of the run only, jobs/s', 'sleep1', (r) => r.secondHalfPerSec, 0, 'high'],
    ['bulk enqueue, jobs/s', 'noop', (r) => r.enqueuePerSec, 0, 'high'],
    ['e2e latency p50, ms, warm: after 1,000 jobs (lower is better)', 'latency-warm', (r) => r.p50, 2, 'low'],
    ['e2e latency p95, ms, warm', 'latency-warm', (r) => r.p95, 2, 'low'],
    ['e2e latency p99, ms, warm', 'latency-warm', (r) => r.p99, 2, 'low'],
    ['warm latency run: Node CPU per job, all threads, µs', 'latency-warm', (r) => r.nodeCpuMicrosPerJob, 0, 'low'],
    [
      'warm latency run: CPU of V8 helper threads (JIT, GC) per job, µs',
      'latency-warm',
      (r) => r.nodeHelperMicrosPerJob,
      0,
      'low',
    ],
    ['e2e latency p50, ms, cold: a fresh process after 50 jobs', 'latency', (r) => r.p50, 2, 'low'],
    ['e2e latency p95, ms, cold', 'latency', (r) => r.p95, 2, 'low'],
    ['e2e latency p99, ms, cold', 'latency', (r) => r.p99, 2, 'low'],
    ['e2e latency p99 of the last half of the jobs, ms, cold', 'latency', (r) => r.secondHalfP99, 2, 'low'],
    ['round trips over 1 ms, first half of the jobs, cold', 'latency', (r) => r.firstHalfOver1ms, 0, 'low'],
    ['round trips over 1 ms, last half of the jobs, cold', 'latency', (r) => r.secondHalfOver1ms, 0, 'low'],
    ['cold latency run: Node CPU per job, all threads, µs', 'latency', (r) => r.nodeCpuMicrosPerJob, 0, 'low'],
    [
      'cold latency run: CPU of V8 helper threads (JIT, GC) per job, µs',
      'latency',
      (r) => r.nodeHelperMicrosPerJob,
      0,
      'low',
    ],
    [
      'cold latency run: main thread ready but not running, µs per job',
      'latency',
      (r) => r.nodeMainWaitMicrosPerJob,
      0,
      'low',
    ],
    ['Redis commands per job (enqueue + process)', 'noop', (r) => r.commandsPerJob, 2, 'low'],
    ['Redis commands per job (processing only)', 'noop', (r) => r.processCommandsPerJob, 2, 'low'],
    ['Redis CPU per job, µs (enqueue + process)', 'noop', (r) => r.cpuMicrosPerJob, 1, 'low'],
    ['Redis CPU per job, µs (processing only)', 'noop', (r) => r.processCpuMicrosPerJob, 1, 'low'],
    ['Redis memory per waiting job, bytes', 'memory', (r) => r.bytesPerJob, 0, 'low'],
    ['Redis memory per 100,000 waiting jobs, MB', 'memory', (r) => (r.bytesPerJob * 100_000) / 1e6, 1, 'low'],
  ];
  const peers = names.filter((n) => n !== 'backplane');
  const hasBackplane = names.includes('backplane');
  const header = ['measure', ...names.map((n) => `${n} median (min–max)`)];
  if (hasBackplane) header.push(...peers.map((p) => `backplane ÷ ${p}`));
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const [label, scenario, pick, digits] of rows) {
    const medians = {};
    const cells = names.map((n) => {
      const values = all
        .filter((r) => r.system === n && r.scenario === scenario)
        .map(pick)
        .filter((value) => value !== undefined);
      if (values.length === 0) return 'n/a';
      const s = stats(values);
      medians[n] = s.median;
      return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
    });
    if (hasBackplane) {
      for (const p of peers) {
        const ratio = medians.backplane !== undefined && medians[p] ? medians.backplane / medians[p] : undefined;
        cells.push(ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`);
      }
    }
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  return `\n${lines.join('\n')}\n`;
}

function renderCommandBreakdown(all, names) {
  const lines = [
    '\nRedis calls per job by command (no-op run, enqueue + process, median round; Lua-internal calls included):\n',
  ];
  for (const n of names) {
    const runs = all.filter((r) => r.system === n && r.scenario === 'noop');
    if (runs.length === 0) continue;
    const run = runs.sort((a, b) => a.processPerSec - b.processPerSec)[runs.length >> 1];
    const top = Object.entries(run.commandStats)
      .sort((a, b) => b[1].calls - a[1].calls)
      .filter(([, s]) => s.calls >= 0.01)
      .map(([cmd, s]) => `${cmd} ${s.calls.toFixed(2)}`);
    lines.push(`- ${n}: ${top.join(', ')}`);
  }
  return lines.join('\n');
}

function renderTargets(all) {
  const median = (system, scenario, pick) => {
    const values = all.filter((r) => r.system === system && r.scenario === scenario).map(pick);
    return values.length ? stats(values).median : undefined;
  };
  const checks = [
    ['no-op throughput >= 2x BullMQ', 'noop', (r) => r.processPerSec, 'bullmq', (b, p) => b >= 2 * p, (b, p) => b / p],
    [
      '1 ms handler throughput >= 2x BullMQ',
      'sleep1',
      (r) => r.processPerSec,
      'bullmq',
      (b, p) => b >= 2 * p,
      (b, p) => b / p,
    ],
    [
      'Redis CPU per job <= 0.5x BullMQ',
      'noop',
      (r) => r.cpuMicrosPerJob,
      'bullmq',
      (b, p) => b <= 0.5 * p,
      (b, p) => b / p,
    ],
    [
      'e2e p99 latency <= bee-queue (warm: 2,000 jobs after 1,000)',
      'latency-warm',
      (r) => r.p99,
      'bee-queue',
      (b, p) => b <= p,
      (b, p) => b / p,
    ],
    [
      'e2e p99 latency <= bee-queue, cold start (2,000 jobs after 50, in a fresh process)',
      'latency',
      (r) => r.p99,
      'bee-queue',
      (b, p) => b <= p,
      (b, p) => b / p,
    ],
    ['memory per waiting job <= BullMQ', 'memory', (r) => r.bytesPerJob, 'bullmq', (b, p) => b <= p, (b, p) => b / p],
  ];
  const lines = ['\nTargets (medians):\n'];
  for (const [label, scenario, pick, peer, ok, ratio] of checks) {
    const b = median('backplane', scenario, pick);
    const p = median(peer, scenario, pick);
    if (b === undefined || p === undefined) lines.push(`- ${label}: not measured`);
    else lines.push(`- ${label}: ${ok(b, p) ? 'met' : 'NOT met'} (${ratio(b, p).toFixed(2)}x)`);
  }
  return lines.join('\n');
}

function fmt(value, digits) {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function answersPing(p) {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: '127.0.0.1', port: p });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function freePort() {
  for (;;) {
    const candidate = await new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address();
        srv.close(() => resolve(p));
      });
    });
    if (candidate !== 6379) return candidate;
  }
}

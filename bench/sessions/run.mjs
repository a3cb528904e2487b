// Session store throughput on Redis: backplane (core API and its express-session adapter) against
// connect-redis (the usual express-session Redis store), in one run, on one private redis-server.
//
//   npx tsc -b packages/core && cd bench/sessions && npm install && node run.mjs
//
// Each measurement runs in a fresh Node process; systems are interleaved across rounds (A B C A B C …)
// and Redis is emptied before each. Prints the median (min–max) per system and ratios to connect-redis.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SYSTEMS = ['connect-redis', 'backplane', 'backplane-express', 'ioredis-blob'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const here = new URL('.', import.meta.url).pathname;

const port = await new Promise((resolve) => {
  const server = createServer();
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'bench-sessions-'));
const redis = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
  {
    stdio: 'ignore',
  },
);
const stop = () => {
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', stop);
await new Promise((resolve, reject) => {
  const deadline = Date.now() + 10_000;
  const attempt = () => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', () =>
      Date.now() > deadline ? reject(new Error('redis-server did not start')) : setTimeout(attempt, 50),
    );
  };
  attempt();
});
const version = execFileSync('redis-server', ['--version'])
  .toString()
  .match(/v=(\S+)/)?.[1];

function measure(system) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'worker.mjs'), system, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)));
      else reject(new Error(`${system} exited with ${code}`));
    });
  });
}

const results = Object.fromEntries(SYSTEMS.map((system) => [system, []]));
for (let round = 1; round <= ROUNDS; round += 1) {
  for (const system of SYSTEMS) {
    const result = await measure(system);
    results[system].push(result);
    process.stderr.write(
      `round ${round} ${system}: get ${result.get}/s touch ${result.touch}/s get+touch ${result.getTouch}/s\n`,
    );
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const phases = [
  ['get', 'get /s'],
  ['touch', 'touch /s'],
  ['getTouch', 'get + touch /s'],
];
const baseline = Object.fromEntries(phases.map(([key]) => [key, median(results['connect-redis'].map((r) => r[key]))]));

console.log(
  `\nRedis ${version}, Node ${process.version}, ${ROUNDS} rounds, ${process.env.BENCH_OPS ?? 30_000} ops per phase, 50 in flight, 10,000 sessions of ~400 B`,
);
console.log('median (min–max); ratio = median / connect-redis median\n');
console.log(
  `| system | ${phases.map(([, label]) => `${label} | ratio`).join(' | ')} | Redis cmds per get+touch | Redis µs per get+touch | client CPU µs per get+touch |`,
);
console.log(`| --- | ${phases.map(() => '---: | ---:').join(' | ')} | ---: | ---: | ---: |`);
for (const system of SYSTEMS) {
  const rows = results[system];
  const cells = phases.map(([key]) => {
    const values = rows.map((r) => r[key]);
    const m = median(values);
    return `${fmt(m)} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))}) | ${(m / baseline[key]).toFixed(2)}×`;
  });
  const commands = median(rows.map((r) => r.getTouchCommands)).toFixed(2);
  const redisUs = median(rows.map((r) => r.getTouchRedisUs)).toFixed(1);
  const cpu = median(rows.map((r) => r.getTouchCpuUs)).toFixed(1);
  console.log(`| ${system} | ${cells.join(' | ')} | ${commands} | ${redisUs} | ${cpu} |`);
}
process.exit(0);

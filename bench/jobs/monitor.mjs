// Shows every Redis command one system sends for a few jobs (MONITOR on a private redis-server), to
// see where its hot path spends round trips and Lua-internal commands.
//
//   node monitor.mjs [backplane|bullmq|bee-queue] [jobs=3]
import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

const systemName = process.argv[2] ?? 'backplane';
const jobs = Number(process.argv[3] ?? 3);
const port = await new Promise((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = srv.address();
    srv.close(() => resolve(p));
  });
});
if (port === 6379) throw new Error('refusing 6379');
const server = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  {
    stdio: 'ignore',
  },
);
process.on('exit', () => server.kill('SIGTERM'));
for (let waited = 0; !(await answersPing()); waited += 50) {
  if (waited > 30_000) throw new Error('private redis-server did not start');
  await sleep(50);
}

const system = await import(`./systems/${systemName}.mjs`);
const instance = await system.create({ host: '127.0.0.1', port, queueName: 'bench', keepCompleted: true });
await instance.startWorker({ concurrency: 1, handler: async () => undefined, onCompleted: () => {} });
await instance.prepareRoundTrips();
// Warm up so script loading and first-time setup are not in the log.
for (let i = 0; i < 3; i++) await instance.roundTrip({ i }, 10_000);
await sleep(300);

const monitor = await new Redis({ host: '127.0.0.1', port }).monitor();
const lines = [];
const started = Date.now();
monitor.on('monitor', (time, args, source) => {
  const shown = args.map((arg) => (arg.length > 60 ? `${arg.slice(0, 57)}...` : arg)).join(' ');
  lines.push(`${(Number(time) * 1000 - started).toFixed(1).padStart(8)} ms ${source.padEnd(22)} ${shown}`);
});
await sleep(100);
for (let i = 0; i < jobs; i++) await instance.roundTrip({ i, monitored: true }, 10_000);
await sleep(200);
monitor.disconnect();
await instance.close();
console.log(lines.join('\n'));
console.log(
  `\n${lines.length} commands for ${jobs} jobs (${(lines.length / jobs).toFixed(1)} per job, idle polling included)`,
);
process.exit(0);

function answersPing() {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: '127.0.0.1', port });
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

// Measures three Redis clients (ioredis, node-redis, iovalkey) for docs/redis-client-choice.md.
//
//   cd bench/redis-clients && npm install && node measure.mjs
//
// Needs `redis-server` on PATH. Starts its own private servers on free loopback
// ports (never 127.0.0.1:6379), kills them at the end and always exits.
// Besides the cases asked for, it measures a few extras that explain the numbers:
// a server frozen with SIGSTOP (column c), node-redis with socket.socketTimeout,
// and throughput with the per-command timeouts on (ioredis) or off (node-redis).
import { spawn, execFileSync } from 'node:child_process';
import net from 'node:net';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import IORedis from 'ioredis';
import IOValkey from 'iovalkey';
import { createClient, defineScript } from 'redis';

const require = createRequire(import.meta.url);
const CAP_MS = 30_000;
const TP = { total: 200_000, keys: 1_000, valueBytes: 1024, inFlight: 100, rounds: 3, warmup: 10_000 };

// ---------------------------------------------------------------- plumbing
const children = new Set();
const hungServers = new Set();
const openClients = new Set();

function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
  children.clear();
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
process.on('unhandledRejection', (err) => {
  console.error('[unhandled rejection]', err?.message ?? err);
});
// Hard stop, in case something unforeseen keeps the event loop busy.
setTimeout(() => {
  console.error('watchdog: giving up after 6 minutes');
  killAll();
  process.exit(2);
}, 360_000).unref();

async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address();
        srv.close(() => resolve(port));
      });
    });
    if (port !== 6379) return port;
  }
}

/** Sends raw RESP commands followed by QUIT and returns everything the server wrote. */
function rawCommands(port, commands, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let out = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('raw command timeout'));
    }, timeoutMs);
    sock.on('data', (d) => (out += d.toString('latin1')));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    const enc = (args) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
    sock.write([...commands, ['QUIT']].map(enc).join(''));
  });
}

async function startRedis() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.once('exit', () => children.delete(child));
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      if ((await rawCommands(port, [['PING']], 500)).startsWith('+PONG')) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
    await sleep(20);
  }
  return {
    port,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A loopback server that accepts connections and never writes a byte. */
async function startHungServer() {
  const sockets = new Set();
  let onConn;
  const firstConnection = new Promise((resolve) => (onConn = resolve));
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
    sock.resume(); // read and discard whatever the client sends
    onConn();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hung = {
    port: server.address().port,
    firstConnection,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
      hungServers.delete(hung);
    },
  };
  hungServers.add(hung);
  return hung;
}

/** Runs fn() (which returns a promise) and reports elapsed ms and outcome, capped. */
async function timed(fn, capMs = CAP_MS) {
  const t0 = performance.now();
  let timer;
  const cap = new Promise((resolve) => (timer = setTimeout(() => resolve({ capped: true }), capMs)));
  let p;
  try {
    p = Promise.resolve(fn());
  } catch (err) {
    p = Promise.reject(err);
  }
  const settled = p.then(
    (value) => ({ value }),
    (error) => ({ error }),
  );
  const r = await Promise.race([settled, cap]);
  clearTimeout(timer);
  return { ms: performance.now() - t0, ...r };
}

function describe(r) {
  if (r.capped) return `>${CAP_MS / 1000} s (no answer)`;
  const t =
    r.ms < 10 ? `${r.ms.toFixed(1)} ms` : r.ms < 1000 ? `${Math.round(r.ms)} ms` : `${(r.ms / 1000).toFixed(1)} s`;
  if (r.error) {
    const name =
      r.error.constructor?.name && r.error.constructor.name !== 'Error' ? `${r.error.constructor.name}: ` : '';
    let msg = String(r.error.message ?? r.error).replace(/\s+/g, ' ');
    if (msg.length > 60) msg = msg.slice(0, 57) + '...';
    return `${t}, error (${name}${msg})`.replace(/\|/g, '/');
  }
  return `${t}, value ${JSON.stringify(r.value)?.slice(0, 20)}`;
}

// ---------------------------------------------------------------- client adapters
const ioTuned = {
  enableOfflineQueue: false,
  commandTimeout: 200,
  connectTimeout: 1000,
  maxRetriesPerRequest: 1,
  retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
};

function ioLike(Ctor, label) {
  return (port, extra = {}) => {
    const c = new Ctor({ host: '127.0.0.1', port, ...extra });
    c.on('error', () => {});
    const ad = {
      label,
      raw: c,
      ready: () => (c.status === 'ready' ? Promise.resolve() : new Promise((resolve) => c.once('ready', resolve))),
      connectInBackground: () => {}, // connects on construction (lazyConnect is false by default)
      get: (k) => c.get(k),
      close: async () => {
        openClients.delete(ad);
        try {
          c.disconnect();
        } catch {}
      },
    };
    openClients.add(ad);
    return ad;
  };
}

function nodeRedis(port, extra = {}) {
  const { socket = {}, ...rest } = extra;
  const c = createClient({ socket: { host: '127.0.0.1', port, ...socket }, ...rest });
  c.on('error', () => {});
  let connecting;
  const ad = {
    label: 'node-redis',
    raw: c,
    ready: () => (connecting ??= c.connect()),
    connectInBackground: () => {
      connecting ??= c.connect();
      connecting.catch(() => {});
    },
    get: (k) => c.get(k),
    close: async () => {
      openClients.delete(ad);
      try {
        c.destroy();
      } catch {}
    },
  };
  openClients.add(ad);
  return ad;
}

const nodeRedisTuned = {
  disableOfflineQueue: true,
  socket: { connectTimeout: 1000 },
  // CommandOptions.timeout (ms) from @redis/client's commands-queue.d.ts, applied to every command.
  commandOptions: { timeout: 200 },
};

const deadConfigs = [
  { client: 'ioredis', opts: 'default', make: (p) => ioLike(IORedis, 'ioredis')(p) },
  { client: 'ioredis', opts: 'tuned', make: (p) => ioLike(IORedis, 'ioredis')(p, ioTuned) },
  { client: 'node-redis', opts: 'default', make: (p) => nodeRedis(p) },
  { client: 'node-redis', opts: 'tuned', make: (p) => nodeRedis(p, nodeRedisTuned) },
  {
    client: 'node-redis',
    opts: 'tuned + socket.socketTimeout: 1000',
    make: (p) => nodeRedis(p, { ...nodeRedisTuned, socket: { ...nodeRedisTuned.socket, socketTimeout: 1000 } }),
  },
  { client: 'iovalkey', opts: 'default', make: (p) => ioLike(IOValkey, 'iovalkey')(p) },
  { client: 'iovalkey', opts: 'tuned', make: (p) => ioLike(IOValkey, 'iovalkey')(p, ioTuned) },
];

// ---------------------------------------------------------------- 2. dead / hung server
async function killedServerCase(cfg) {
  const srv = await startRedis();
  const client = cfg.make(srv.port);
  try {
    const conn = await timed(() => client.ready(), 5000);
    if (conn.capped || conn.error) return { note: 'could not connect to live server' };
    const warm = await timed(() => client.get('warm'), 2000);
    if (warm.capped || warm.error) return { note: 'GET on live server failed' };
    await srv.kill();
    await sleep(100); // let the client see the closed socket
    return await timed(() => client.get('k'));
  } finally {
    await client.close();
    await srv.kill();
  }
}

async function hungServerCase(cfg) {
  const hung = await startHungServer();
  const client = cfg.make(hung.port);
  try {
    client.connectInBackground();
    const accepted = await timed(() => hung.firstConnection, 5000);
    if (accepted.capped) return { note: 'client never connected' };
    await sleep(100); // TCP is up; the server just never answers anything
    return await timed(() => client.get('k'));
  } finally {
    await client.close();
    hung.close();
  }
}

// Extra case: a real server that answered the handshake and then froze (SIGSTOP),
// so the GET is written to a live socket and simply never answered.
async function frozenServerCase(cfg) {
  const srv = await startRedis();
  const client = cfg.make(srv.port);
  try {
    const conn = await timed(() => client.ready(), 5000);
    if (conn.capped || conn.error) return { note: 'could not connect to live server' };
    await timed(() => client.get('warm'), 2000);
    srv.child.kill('SIGSTOP');
    await sleep(100);
    return await timed(() => client.get('k'));
  } finally {
    await client.close();
    await srv.kill(); // SIGKILL also ends a stopped process
  }
}

// ---------------------------------------------------------------- 3. throughput
async function throughput(port) {
  const value = 'v'.repeat(TP.valueBytes);
  const keys = Array.from({ length: TP.keys }, (_, i) => `bench:key:${i}`);
  {
    const seed = new IORedis({ host: '127.0.0.1', port });
    seed.on('error', () => {});
    const p = seed.pipeline();
    for (const k of keys) p.set(k, value);
    await p.exec();
    seed.disconnect();
  }
  const configs = [
    {
      name: 'ioredis, enableAutoPipelining: true',
      make: () => ioLike(IORedis, 'ioredis')(port, { enableAutoPipelining: true }),
    },
    { name: 'ioredis, no autopipelining', make: () => ioLike(IORedis, 'ioredis')(port) },
    // Extra: the cost of a per-command timer in ioredis.
    {
      name: 'ioredis, enableAutoPipelining: true + commandTimeout: 200',
      make: () => ioLike(IORedis, 'ioredis')(port, { enableAutoPipelining: true, commandTimeout: 200 }),
    },
    { name: 'node-redis (pipelines one tick by itself)', make: () => nodeRedis(port) },
    // Extra: node-redis arms a 5 s AbortSignal timeout per command by default; 0 turns that off.
    { name: 'node-redis, commandOptions.timeout: 0', make: () => nodeRedis(port, { commandOptions: { timeout: 0 } }) },
    {
      name: 'iovalkey, enableAutoPipelining: true',
      make: () => ioLike(IOValkey, 'iovalkey')(port, { enableAutoPipelining: true }),
    },
  ];
  async function run(client, total) {
    let issued = 0;
    let bad = 0;
    const worker = async () => {
      while (issued < total) {
        const i = issued++;
        const v = await client.get(keys[i % TP.keys]);
        if (v?.length !== TP.valueBytes) bad++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: TP.inFlight }, worker));
    const s = (performance.now() - t0) / 1000;
    if (bad) throw new Error(`${bad} GETs returned a wrong value`);
    return total / s;
  }
  for (const cfg of configs) {
    cfg.client = cfg.make();
    await cfg.client.ready();
    await run(cfg.client, TP.warmup);
    cfg.samples = [];
  }
  for (let r = 0; r < TP.rounds; r++) {
    for (const cfg of configs) {
      cfg.samples.push(await run(cfg.client, TP.total));
      process.stderr.write(`  throughput round ${r + 1}: ${cfg.name}: ${Math.round(cfg.samples.at(-1))} ops/s\n`);
    }
  }
  for (const cfg of configs) await cfg.client.close();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return configs.map((c) => ({ name: c.name, median: median(c.samples), samples: c.samples }));
}

// ---------------------------------------------------------------- 4. Lua
const LUA = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

/** Which script commands the server ran since the last CONFIG RESETSTAT, e.g. "EVALSHA(NOSCRIPT) EVAL". */
async function scriptCommandsSeen(port) {
  const info = await rawCommands(port, [
    ['INFO', 'commandstats'],
    ['CONFIG', 'RESETSTAT'],
  ]);
  const parts = [];
  for (const cmd of ['evalsha', 'eval']) {
    const m = info.match(new RegExp(`cmdstat_${cmd}:calls=(\\d+)[^\\r\\n]*?failed_calls=(\\d+)`));
    if (!m) continue;
    const [calls, failed] = [Number(m[1]), Number(m[2])];
    for (let i = 0; i < failed; i++) parts.push(`${cmd.toUpperCase()}(error)`);
    for (let i = 0; i < calls - failed; i++) parts.push(cmd.toUpperCase());
  }
  return parts.join(' + ') || 'nothing';
}

/**
 * call(key) runs the script once (INCRBY key 5). Three calls: on an empty script cache,
 * after the cache was flushed behind the client's back, and once more.
 */
async function luaCase(port, label, open) {
  const key = `lua:${label}`;
  await rawCommands(port, [
    ['SCRIPT', 'FLUSH'],
    ['DEL', key],
    ['CONFIG', 'RESETSTAT'],
  ]);
  const { call, close } = await open();
  try {
    const r1 = Number(await call(key));
    const s1 = await scriptCommandsSeen(port);
    await rawCommands(port, [
      ['SCRIPT', 'FLUSH'],
      ['CONFIG', 'RESETSTAT'],
    ]);
    const r2 = Number(await call(key));
    const s2 = await scriptCommandsSeen(port);
    const r3 = Number(await call(key));
    const s3 = await scriptCommandsSeen(port);
    const ok = r1 === 5 && r2 === 10 && r3 === 15 && /EVALSHA\b(?!\()/.test(s3) && s2.includes('EVAL');
    return { ok, detail: `1st call: ${s1}; after SCRIPT FLUSH: ${s2}; next: ${s3}` };
  } catch (err) {
    return { ok: false, detail: `error: ${err.message}` };
  } finally {
    await close();
  }
}

async function luaAll(port) {
  const out = [];
  for (const [label, Ctor] of [
    ['ioredis', IORedis],
    ['iovalkey', IOValkey],
  ]) {
    const result = await luaCase(port, label, async () => {
      const c = new Ctor({ host: '127.0.0.1', port });
      c.on('error', () => {});
      c.defineCommand('bpIncrBy', { numberOfKeys: 1, lua: LUA });
      return { call: (key) => c.bpIncrBy(key, 5), close: async () => c.disconnect() };
    });
    out.push({ client: `${label} (defineCommand)`, ...result });
  }
  const result = await luaCase(port, 'node-redis', async () => {
    const c = createClient({
      socket: { host: '127.0.0.1', port },
      scripts: {
        bpIncrBy: defineScript({
          SCRIPT: LUA,
          NUMBER_OF_KEYS: 1,
          parseCommand(parser, key, by) {
            parser.pushKey(key);
            parser.push(String(by));
          },
          transformReply: (reply) => reply,
        }),
      },
    });
    c.on('error', () => {});
    await c.connect();
    return { call: (key) => c.bpIncrBy(key, 5), close: async () => c.destroy() };
  });
  out.push({ client: 'node-redis (defineScript)', ...result });
  return out;
}

// ---------------------------------------------------------------- main
// `node measure.mjs --only=dead,throughput,lua` runs a subset (default: all three).
const ONLY = (process.argv.find((a) => a.startsWith('--only='))?.slice(7) ?? 'dead,throughput,lua').split(',');

async function main() {
  const versions = {
    node: process.version,
    redis:
      execFileSync('redis-server', ['--version'])
        .toString()
        .match(/v=(\S+)/)?.[1] ?? '?',
    ioredis: require('ioredis/package.json').version,
    redis_client: require('redis/package.json').version,
    iovalkey: require('iovalkey/package.json').version,
  };
  const lines = [
    `Node ${versions.node}, redis-server ${versions.redis}, ioredis ${versions.ioredis}, redis (node-redis) ${versions.redis_client}, iovalkey ${versions.iovalkey}`,
  ];
  console.error(lines[0]);

  if (ONLY.includes('dead')) {
    console.error('dead/hung server cases (client configs in parallel, each with its own server)...');
    const killed = await Promise.all(deadConfigs.map(killedServerCase));
    const hung = await Promise.all(deadConfigs.map(hungServerCase));
    const frozen = await Promise.all(deadConfigs.map(frozenServerCase));
    const cell = (r) => (r.note ? r.note : describe(r));
    lines.push(
      '',
      `### One GET against a dead or hung server (capped at ${CAP_MS / 1000} s)`,
      '',
      '| client | options | (a) server killed after connect | (b) server accepts TCP, never replies | (c) server frozen (SIGSTOP) after connect |',
      '| --- | --- | --- | --- | --- |',
    );
    deadConfigs.forEach((cfg, i) => {
      lines.push(`| ${cfg.client} | ${cfg.opts} | ${cell(killed[i])} | ${cell(hung[i])} | ${cell(frozen[i])} |`);
    });
  }

  if (ONLY.includes('throughput') || ONLY.includes('lua')) {
    const srv = await startRedis();
    try {
      if (ONLY.includes('throughput')) {
        console.error('throughput...');
        const tp = await throughput(srv.port);
        const fmt = (n) => Math.round(n).toLocaleString('en-US');
        lines.push(
          '',
          `### Throughput: ${fmt(TP.total)} GETs of a ${TP.valueBytes} B value over ${fmt(TP.keys)} keys, ${TP.inFlight} in flight, one client`,
          '',
          '| client | median ops/s | rounds (ops/s) |',
          '| --- | ---: | --- |',
        );
        for (const t of tp) lines.push(`| ${t.name} | ${fmt(t.median)} | ${t.samples.map(fmt).join(' / ')} |`);
      }
      if (ONLY.includes('lua')) {
        console.error('lua...');
        const lua = await luaAll(srv.port);
        lines.push(
          '',
          '### Lua script called by SHA with automatic EVAL fallback (commands as counted by the server)',
          '',
          '| client | works | detail |',
          '| --- | --- | --- |',
        );
        for (const l of lua) lines.push(`| ${l.client} | ${l.ok ? 'yes' : 'no'} | ${l.detail} |`);
      }
    } finally {
      await srv.kill();
    }
  }
  console.log(lines.join('\n'));
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  for (const c of [...openClients]) await c.close();
  for (const h of [...hungServers]) h.close();
  killAll();
  process.exit(exitCode);
}

// One measurement of one system in a fresh process: node worker.mjs <system> <redis port>.
// Prints one JSON line: throughput of get, touch and get+touch (the two calls express-session makes on a
// request that does not change the session), Redis commands and client CPU per operation.
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';

const [system, portText] = process.argv.slice(2);
const port = Number(portText);
const url = `redis://127.0.0.1:${port}`;
const SESSIONS = 10_000;
const OPS = Number(process.env.BENCH_OPS ?? 30_000);
const WARMUP = 5_000;
const IN_FLIGHT = 50;

/** A realistic express-session record (~400 bytes of JSON). */
function record(i) {
  return {
    cookie: {
      originalMaxAge: 1_800_000,
      expires: new Date(Date.now() + 1_800_000).toISOString(),
      httpOnly: true,
      path: '/',
      sameSite: 'lax',
    },
    userId: `user-${i % 1000}`,
    visits: i,
    cart: [
      { sku: 'A-100', qty: 2 },
      { sku: 'B-220', qty: 1 },
    ],
    locale: 'en-GB',
    flash: null,
    csrf: 'f3b1c2d4e5f60718293a4b5c6d7e8f90',
  };
}

const cb = (resolve, reject) => (error, value) => (error ? reject(error) : resolve(value));

/** Each system as the callbacks express-session would call: get(sid) and touch(sid, session). */
async function open() {
  if (system === 'connect-redis') {
    const { createClient } = await import('redis');
    const { RedisStore } = await import('connect-redis');
    const client = createClient({ url });
    await client.connect();
    const store = new RedisStore({ client, prefix: 'sess:' });
    return {
      set: (sid, sess) => new Promise((res, rej) => store.set(sid, sess, cb(res, rej))),
      get: (sid) => new Promise((res, rej) => store.get(sid, cb(res, rej))),
      touch: (sid, sess) => new Promise((res, rej) => store.touch(sid, sess, cb(res, rej))),
      close: () => client.quit(),
    };
  }
  const core = await import('../../packages/core/dist/index.js');
  // A longer command budget than the 500 ms default: on a shared, loaded machine a descheduled process can
  // stall past it, and connect-redis runs with no timeout at all. The per-command timer costs the same.
  const connection = new core.RedisConnection({ name: 'sessions', url, commandTimeoutMs: 5000 });
  await connection.connect();
  await connection.waitUntilUp();
  const sessions = core.createSessionStore({ connection, idleTimeout: '30m', absoluteLifetime: '24h' });
  if (system === 'backplane-express') {
    const { ExpressSessionStore } = await import('../../packages/core/dist/sessions/adapters/express.js');
    const store = new ExpressSessionStore({ store: sessions });
    return {
      set: (sid, sess) => new Promise((res, rej) => store.set(sid, sess, cb(res, rej))),
      get: (sid) => new Promise((res, rej) => store.get(sid, cb(res, rej))),
      touch: (sid, sess) => new Promise((res) => store.touch(sid, sess, res)),
      close: async () => {
        await sessions.close();
        await connection.close();
      },
    };
  }
  if (system === 'ioredis-blob') {
    // connect-redis's work (GET + JSON.parse, PEXPIRE) on backplane's own ioredis client and budgets: the
    // ceiling of any store built on this client, to tell the client's cost from the store's.
    const client = connection.client;
    const ttl = 1_800_000;
    return {
      set: (sid, sess) => client.set(`sess:${sid}`, JSON.stringify(sess), 'PX', ttl),
      get: async (sid) => JSON.parse(await client.get(`sess:${sid}`)),
      touch: (sid) => client.pexpire(`sess:${sid}`, ttl),
      close: async () => {
        await sessions.close();
        await connection.close();
      },
    };
  }
  if (system === 'backplane') {
    return {
      set: (sid, sess) => sessions.set(sid, sess, { userId: sess.userId }),
      get: (sid) => sessions.get(sid),
      touch: (sid) => sessions.touch(sid),
      close: async () => {
        await sessions.close();
        await connection.close();
      },
    };
  }
  throw new Error(`unknown system ${system}`);
}

async function run(ops, operation) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < ops) {
        const i = next++;
        await operation(i);
      }
    }),
  );
  return ops / ((performance.now() - started) / 1000);
}

/** Microseconds the Redis thread spent in commands since the last CONFIG RESETSTAT (INFO commandstats). */
async function redisUsec(admin) {
  const info = await admin.info('commandstats');
  let usec = 0;
  for (const match of info.matchAll(/cmdstat_([\w|]+):calls=\d+,usec=(\d+)/g)) {
    if (!['info', 'config'].includes(match[1])) usec += Number(match[2]);
  }
  return usec;
}

async function commandsProcessed(admin) {
  const info = await admin.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)[1]);
}

const admin = new Redis({ port, host: '127.0.0.1' });
await admin.flushall(); // The bench's own private server, emptied before each measurement.
const store = await open();
// express-session-style ids: 24 random bytes, base64url.
const ids = Array.from({ length: SESSIONS }, (_, i) => Buffer.from(`${i}`.padStart(24, 'x')).toString('base64url'));
const records = ids.map((_, i) => record(i));
for (let i = 0; i < SESSIONS; i += 100) {
  await Promise.all(ids.slice(i, i + 100).map((sid, j) => store.set(sid, records[i + j])));
}
const pick = (i) => i % SESSIONS;
await run(WARMUP, async (i) => {
  const sess = await store.get(ids[pick(i)]);
  await store.touch(ids[pick(i)], sess);
});

const result = { system };
for (const [phase, operation] of [
  ['get', (i) => store.get(ids[pick(i)])],
  ['touch', (i) => store.touch(ids[pick(i)], records[pick(i)])],
  [
    'getTouch',
    async (i) => {
      const sess = await store.get(ids[pick(i)]);
      if (!sess) throw new Error('session missing');
      await store.touch(ids[pick(i)], sess);
    },
  ],
]) {
  await admin.config('RESETSTAT');
  const commandsBefore = await commandsProcessed(admin);
  const cpuBefore = process.cpuUsage();
  result[phase] = Math.round(await run(OPS, operation));
  const cpu = process.cpuUsage(cpuBefore);
  result[`${phase}Commands`] = ((await commandsProcessed(admin)) - commandsBefore - 1) / OPS;
  result[`${phase}CpuUs`] = (cpu.user + cpu.system) / OPS;
  result[`${phase}RedisUs`] = (await redisUsec(admin)) / OPS;
}
await store.close();
admin.disconnect();
console.log(JSON.stringify(result));

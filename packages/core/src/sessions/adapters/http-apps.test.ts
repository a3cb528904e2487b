import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import express, { type NextFunction, type Request, type Response } from 'express';
import expressSession from 'express-session';
import Fastify from 'fastify';
import { RedisConnection } from '../../redis/connection.js';
import { redisSkipReason, startRedisServer, type RedisServerHandle } from '../../testing/redis-server.js';
import { createSessionStore } from '../session-store.js';
import type { SessionStore } from '../types.js';
import { ExpressSessionStore } from './express.js';
import { FastifySessionStore } from './fastify.js';

/**
 * The same HTTP scenarios against a real Express app (express-session) and a real Fastify app
 * (@fastify/session), both listening on loopback, both keeping sessions in backplane on a private Redis.
 */

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    visits?: number;
  }
}
declare module 'fastify' {
  interface Session {
    userId?: string;
    visits?: number;
  }
}

const SECRET = 'a-test-secret-that-is-longer-than-32-chars';

interface RunningApp {
  url: string;
  close(): Promise<void>;
}

/** Express: signed HttpOnly SameSite=Lax cookie, Secure when the proxy says https. */
async function startExpress(store: SessionStore): Promise<RunningApp> {
  const app = express();
  app.set('trust proxy', 1);
  app.use(
    expressSession({
      store: new ExpressSessionStore({ store }),
      secret: SECRET,
      name: 'sid',
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: 60_000 },
    }),
  );
  app.post('/visit', (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ visits: req.session.visits });
  });
  app.post('/login', (req, res, next) => {
    const user = typeof req.query.user === 'string' ? req.query.user : '';
    req.session.regenerate((error) => {
      if (error) return next(error);
      req.session.userId = user;
      res.json({ userId: user });
    });
  });
  app.get('/me', (req, res) => {
    if (!req.session.userId) return void res.status(401).json({ error: { code: 'E_UNAUTHORIZED' } });
    res.json({ userId: req.session.userId });
  });
  app.post('/logout-everywhere', (req, res, next) => {
    const user = req.session.userId;
    if (!user) return void res.status(401).json({ error: { code: 'E_UNAUTHORIZED' } });
    store.destroyAllForUser(user).then(
      (removed) => req.session.destroy(() => res.json({ removed })),
      (error: unknown) => next(error),
    );
  });
  app.use((error: { code?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(error.status ?? 500).json({ error: { code: error.code ?? 'E_INTERNAL' } });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Fastify: the same routes with @fastify/cookie + @fastify/session. */
async function startFastify(store: SessionStore): Promise<RunningApp> {
  const app = Fastify({ trustProxy: true });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    store: new FastifySessionStore({ store }),
    secret: SECRET,
    cookieName: 'sid',
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: 60_000, path: '/' },
  });
  app.post('/visit', async (request) => {
    const visits = (request.session.get('visits') ?? 0) + 1;
    request.session.set('visits', visits);
    return { visits };
  });
  app.post<{ Querystring: { user: string } }>('/login', async (request) => {
    await request.session.regenerate();
    request.session.set('userId', request.query.user);
    return { userId: request.query.user };
  });
  app.get('/me', async (request, reply) => {
    const userId = request.session.get('userId');
    if (!userId) return reply.code(401).send({ error: { code: 'E_UNAUTHORIZED' } });
    return { userId };
  });
  app.post('/logout-everywhere', async (request, reply) => {
    const userId = request.session.get('userId');
    if (!userId) return reply.code(401).send({ error: { code: 'E_UNAUTHORIZED' } });
    const removed = await store.destroyAllForUser(userId);
    await request.session.destroy();
    return { removed };
  });
  app.setErrorHandler((error: { code?: string; status?: number; statusCode?: number }, _request, reply) => {
    void reply.code(error.status ?? error.statusCode ?? 500).send({ error: { code: error.code ?? 'E_INTERNAL' } });
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

/** A browser's cookie jar, just enough for one cookie per name. */
class Browser {
  readonly cookies = new Map<string, string>();
  lastSetCookie: string[] = [];
  constructor(private readonly base: string) {}

  async request(method: string, path: string, headers: Record<string, string> = {}): Promise<globalThis.Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(this.base + path, {
      method,
      headers: { ...headers, ...(cookie ? { cookie } : {}) },
    });
    this.lastSetCookie = response.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** The session id inside the signed cookie (`s:<id>.<sig>` for express, `<id>.<sig>` for fastify). */
  get sessionId(): string | undefined {
    const raw = this.cookies.get('sid');
    if (raw === undefined) return undefined;
    return decodeURIComponent(raw).replace(/^s:/, '').split('.')[0];
  }
}

const frameworks = [
  ['express + express-session', startExpress],
  ['fastify + @fastify/session', startFastify],
] as const;

describe('session adapters in real HTTP apps', { skip: redisSkipReason() }, () => {
  let redis: RedisServerHandle;
  let connection: RedisConnection;

  before(async () => {
    redis = await startRedisServer();
    connection = new RedisConnection({ name: 'sessions', url: redis.url, probeIntervalMs: 100 });
    await connection.connect();
    await connection.waitUntilUp();
  });
  after(async () => {
    await connection.close();
    await redis.stop();
  });

  for (const [name, start] of frameworks) {
    describe(name, () => {
      let store: SessionStore;
      let app: RunningApp;
      before(async () => {
        store = createSessionStore({ connection, keyPrefix: `t-${randomUUID()}`, idleTimeout: '5m' });
        app = await start(store);
      });
      after(async () => {
        await app.close();
        await store.close();
      });

      it('sets a signed, HttpOnly, SameSite=Lax cookie (not Secure over plain HTTP) and keeps state', async () => {
        const browser = new Browser(app.url);
        const first = await browser.request('POST', '/visit');
        assert.deepEqual(await first.json(), { visits: 1 });
        const [line = ''] = browser.lastSetCookie;
        assert.match(line, /^sid=/);
        assert.match(line, /HttpOnly/i);
        assert.match(line, /SameSite=Lax/i);
        assert.doesNotMatch(line, /Secure/i);
        assert.match(
          decodeURIComponent(browser.cookies.get('sid') ?? ''),
          /^(s:)?[A-Za-z0-9_-]+\.[A-Za-z0-9+/_-]+$/,
          'signed',
        );
        assert.deepEqual(await (await browser.request('POST', '/visit')).json(), { visits: 2 });
        const stored = await store.get(browser.sessionId ?? '');
        assert.equal(stored?.data.visits, 2, 'the session lives in backplane');
      });

      it('marks the cookie Secure behind a TLS-terminating proxy (X-Forwarded-Proto: https)', async () => {
        const browser = new Browser(app.url);
        await browser.request('POST', '/visit', { 'x-forwarded-proto': 'https' });
        assert.match(browser.lastSetCookie[0] ?? '', /;\s*Secure/i);
      });

      it('regenerates the session id at login: the pre-login id is dead', async () => {
        const browser = new Browser(app.url);
        await browser.request('POST', '/visit');
        const before = browser.sessionId;
        const oldCookie = browser.cookies.get('sid') ?? '';
        assert.ok(before && (await store.get(before)));
        const login = await browser.request('POST', '/login?user=alice-regen');
        assert.equal(login.status, 200);
        const after = browser.sessionId;
        assert.ok(after && after !== before, 'a new id after login');
        assert.equal(await store.get(before), undefined, 'the old session is gone from the store');
        assert.equal((await browser.request('GET', '/me')).status, 200);
        const attacker = new Browser(app.url);
        attacker.cookies.set('sid', oldCookie);
        assert.equal((await attacker.request('GET', '/me')).status, 401, 'a fixated pre-login cookie gets nothing');
        assert.deepEqual(
          (await store.listByUser('alice-regen')).map((s) => s.id),
          [after],
        );
      });

      it('ignores forged and tampered cookies without failing', async () => {
        const browser = new Browser(app.url);
        await browser.request('POST', '/login?user=mallory-target');
        const genuine = decodeURIComponent(browser.cookies.get('sid') ?? '');
        const forgedCookies = [
          encodeURIComponent(`${genuine.slice(0, -3)}abc`),
          encodeURIComponent(`s:${'A'.repeat(32)}.invalidsignature`),
          'garbage%%%',
          encodeURIComponent(`s:${'A'.repeat(32)}`),
        ];
        for (const forged of forgedCookies) {
          const mallory = new Browser(app.url);
          mallory.cookies.set('sid', forged);
          assert.equal((await mallory.request('GET', '/me')).status, 401, forged);
        }
        assert.equal((await browser.request('GET', '/me')).status, 200, 'the genuine cookie still works');
      });

      it('logs a user out everywhere, and only that user', async () => {
        const [laptop, phone, other] = [new Browser(app.url), new Browser(app.url), new Browser(app.url)];
        await laptop.request('POST', '/login?user=alice');
        await phone.request('POST', '/login?user=alice');
        await other.request('POST', '/login?user=bob');
        assert.equal((await store.listByUser('alice')).length, 2);
        const logout = await laptop.request('POST', '/logout-everywhere');
        assert.deepEqual(await logout.json(), { removed: 2 });
        assert.equal((await laptop.request('GET', '/me')).status, 401);
        assert.equal((await phone.request('GET', '/me')).status, 401);
        assert.equal((await other.request('GET', '/me')).status, 200);
        assert.deepEqual(await store.listByUser('alice'), []);
      });
    });
  }

  it('answers 503 E_REDIS_UNAVAILABLE (express and fastify) while Redis is down, then recovers', async () => {
    const store = createSessionStore({ connection, keyPrefix: `t-${randomUUID()}` });
    const apps = await Promise.all(frameworks.map(([, start]) => start(store)));
    try {
      const browsers = apps.map((app) => new Browser(app.url));
      for (const browser of browsers) await browser.request('POST', '/login?user=down');
      await redis.kill();
      for (const browser of browsers) {
        const response = await browser.request('GET', '/me');
        assert.equal(response.status, 503);
        assert.deepEqual(await response.json(), { error: { code: 'E_REDIS_UNAVAILABLE' } });
      }
      await redis.start();
      await connection.waitUntilUp(5000);
      for (const browser of browsers) {
        // The restarted server is empty: the session is gone, and the app says so instead of failing.
        assert.equal((await browser.request('GET', '/me')).status, 401);
        // The first write after the restart may still meet a client that is reconnecting; a user retries.
        // express-session saves after the handler and still answers 200 when that save fails (the
        // error goes to `next` after the response), so a login counts once the session reads back.
        for (let attempt = 0; attempt < 50; attempt += 1) {
          if ((await browser.request('POST', '/login?user=down')).status < 400) {
            if ((await browser.request('GET', '/me')).status === 200) break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal((await browser.request('GET', '/me')).status, 200);
      }
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await store.close();
    }
  });
});

describe('ExpressSessionStore callback API', () => {
  it('supports get, set, touch, destroy, all, length and clear', async () => {
    const store = createSessionStore();
    const adapter = new ExpressSessionStore({ store });
    const call = <T>(fn: (cb: (error: unknown, value?: T) => void) => void) =>
      new Promise<T | undefined>((resolve, reject) =>
        fn((error, value) =>
          error
            ? reject(error instanceof Error ? error : new Error('callback error', { cause: error }))
            : resolve(value),
        ),
      );
    const sid = 'abcdefghijklmnopqrstuvwxyz012345';
    const record = { cookie: { originalMaxAge: 1000, httpOnly: true, path: '/' }, userId: 'u1', n: 1 };
    await call((cb) => adapter.set(sid, record, cb));
    assert.deepEqual(await call((cb) => adapter.get(sid, cb)), record);
    assert.deepEqual(
      (await store.listByUser('u1')).map((s) => s.id),
      [sid],
    );
    await new Promise<void>((resolve) => adapter.touch(sid, record, resolve));
    assert.equal(await call<number>((cb) => adapter.length(cb)), 1);
    assert.deepEqual(await call((cb) => adapter.all(cb)), { [sid]: record });
    await call((cb) => adapter.destroy(sid, cb));
    assert.equal(await call((cb) => adapter.get(sid, cb)), null);
    await call((cb) => adapter.set(sid, record, cb));
    await call((cb) => adapter.clear(cb));
    assert.equal(await call<number>((cb) => adapter.length(cb)), 0);
    const big = { cookie: record.cookie, blob: 'x'.repeat(70_000) };
    await assert.rejects(
      call((cb) => adapter.set(sid, big, cb)),
      { code: 'E_SESSION_TOO_LARGE' },
    );
    assert.equal(await call((cb) => adapter.get('not a valid id', cb)), null);
    await store.close();
  });
});

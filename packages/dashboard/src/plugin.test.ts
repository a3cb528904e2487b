import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardPlugin } from './index.js';
import type { DashboardOptions } from './options.js';

const TOKEN = 'plugin-test-token-1';
const assetsDir = mkdtempSync(join(tmpdir(), 'bp-dashboard-'));
writeFileSync(join(assetsDir, 'index.html'), '<!doctype html><title>dashboard under test</title>');

/** A stand-in for the service: the routes the dashboard forwards to, recording what they received. */
function fakeService() {
  const seen: { method: string; url: string; authorization: string | undefined; body: unknown }[] = [];
  const stats = { hits: { l1: 0, l2: 0, total: 0 }, misses: 0, staleHits: 0, loads: 0, hitRate: 0 };
  const register = async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/dashboard')) {
        seen.push({
          method: request.method,
          url: request.url,
          authorization: request.headers.authorization,
          body: undefined,
        });
      }
    });
    const admin = async (request: { headers: { authorization?: string } }) => {
      if (request.headers.authorization !== `Bearer ${TOKEN}`)
        throw Object.assign(new Error('no'), { statusCode: 401 });
    };
    app.get('/health', async () => ({ status: 'ok', checks: {} }));
    app.get('/cache/stats', async () => stats);
    app.get('/queues', async () => ({
      queues: [{ name: 'default', counts: { completed: 3 }, throughputPerMinute: 6, paused: false }],
    }));
    app.post('/cache/clear', { preHandler: admin }, async (request) => {
      seen.at(-1)!.body = request.body;
      return { cleared: 2 };
    });
    app.get('/task-definitions', async () => ({ tasks: [{ name: 'demo.render', queue: 'default' }] }));
    app.post('/tasks/:name', { preHandler: admin }, async (request, reply) => {
      seen.at(-1)!.body = request.body;
      return reply.status(202).send({ id: 'default:new-1', state: 'waiting' });
    });
    app.get('/tasks/:id/events', async (request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      const resumedAfter = request.headers['last-event-id'];
      if (typeof resumedAfter === 'string') reply.raw.write(`: resumed after ${resumedAfter}\n\n`);
      reply.raw.write(`id: 1\nevent: progress\ndata: {"type":"progress","progress":{"percent":50}}\n\n`);
      reply.raw.end(`id: 2\nevent: state\ndata: {"type":"state","state":"completed"}\n\n`);
    });
  };
  return { seen, stats, register };
}

async function build(options: DashboardOptions = {}) {
  const service = fakeService();
  const app = Fastify();
  await service.register(app);
  await app.register(dashboardPlugin, {
    prefix: '/dashboard',
    adminToken: TOKEN,
    assetsDir,
    sampleIntervalMs: 3_600_000,
    ...options,
  });
  await app.ready();
  return { app, service };
}

/** Signs in with `token` (null: with no token at all). */
async function signIn(app: FastifyInstance, token: string | null = TOKEN) {
  const response = await app.inject({
    method: 'POST',
    url: '/dashboard/api/session',
    payload: token === null ? {} : { token },
  });
  const setCookie = response.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0];
  return { response, cookie, setCookie, csrf: response.json<{ csrfToken?: string }>().csrfToken };
}

describe('dashboard plugin', () => {
  let app: FastifyInstance;
  let service: ReturnType<typeof fakeService>;
  before(async () => ({ app, service } = await build()));
  after(async () => {
    await app.close();
    rmSync(assetsDir, { recursive: true, force: true });
  });

  it('serves the page at the prefix with a slash, and strict security headers', async () => {
    const redirect = await app.inject('/dashboard');
    assert.equal(redirect.statusCode, 308);
    assert.equal(redirect.headers.location, '/dashboard/');
    const page = await app.inject('/dashboard/');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /dashboard under test/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
  });

  it('refuses the API without a session, and a forged or tampered cookie', async () => {
    assert.equal((await app.inject('/dashboard/api/cache/stats')).statusCode, 401);
    const { cookie } = await signIn(app);
    assert.ok(cookie);
    const [name, value] = cookie.split('=') as [string, string];
    const [payload, mac] = value.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp: number };
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 1 })).toString('base64url');
    const response = await app.inject({
      url: '/dashboard/api/cache/stats',
      headers: { cookie: `${name}=${forged}.${mac}` },
    });
    assert.equal(response.statusCode, 401);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'E_UNAUTHORIZED');
  });

  it('refuses a wrong token without setting a cookie', async () => {
    const { response, setCookie } = await signIn(app, 'not-the-token');
    assert.equal(response.statusCode, 401);
    assert.equal(setCookie, undefined);
    assert.equal((await signIn(app, null)).response.statusCode, 401);
  });

  it('signs in into an HttpOnly SameSite=Strict cookie scoped to the prefix, and forwards with the bearer token', async () => {
    const { response, setCookie, cookie } = await signIn(app);
    assert.equal(response.statusCode, 200);
    const header = String(setCookie);
    assert.match(header, /HttpOnly/);
    assert.match(header, /SameSite=Strict/);
    assert.match(header, /Path=\/dashboard/);
    assert.ok(!header.includes(TOKEN), 'the token must not be in the cookie');
    const stats = await app.inject({ url: '/dashboard/api/cache/stats', headers: { cookie: cookie! } });
    assert.equal(stats.statusCode, 200);
    assert.equal(stats.json<{ misses: number }>().misses, 0);
    assert.equal(service.seen.at(-1)?.authorization, `Bearer ${TOKEN}`);
  });

  it('needs the CSRF header and same origin for mutations', async () => {
    const { cookie, csrf } = await signIn(app);
    const post = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/dashboard/api/cache/clear',
        payload: { tag: 'users' },
        headers: { cookie: cookie!, ...headers },
      });
    assert.equal((await post({})).statusCode, 403);
    assert.equal((await post({ 'x-csrf-token': 'wrong' })).statusCode, 403);
    assert.equal((await post({ 'x-csrf-token': csrf!, origin: 'http://evil.example' })).statusCode, 403);
    const ok = await post({ 'x-csrf-token': csrf!, origin: 'http://localhost:80' });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { cleared: 2 });
    assert.deepEqual(service.seen.at(-1)?.body, { tag: 'users' });
  });

  it('lists the tasks and enqueues one with its payload and options, as an admin mutation', async () => {
    const { cookie, csrf } = await signIn(app);
    const list = await app.inject({ url: '/dashboard/api/task-definitions', headers: { cookie: cookie! } });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json<{ tasks: Array<{ name: string }> }>().tasks[0]?.name, 'demo.render');
    const enqueue = (headers: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/dashboard/api/tasks/demo.render?delay=30s&priority=5',
        payload: { stepMs: 50 },
        headers: { cookie: cookie!, ...headers },
      });
    assert.equal((await enqueue({})).statusCode, 403);
    const accepted = await enqueue({ 'x-csrf-token': csrf! });
    assert.equal(accepted.statusCode, 202);
    assert.deepEqual(accepted.json(), { id: 'default:new-1', state: 'waiting' });
    assert.equal(service.seen.at(-1)?.url, '/tasks/demo.render?delay=30s&priority=5');
    assert.equal(service.seen.at(-1)?.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(service.seen.at(-1)?.body, { stepMs: 50 });
  });

  it('forwards only the routes the dashboard needs', async () => {
    const { cookie } = await signIn(app);
    for (const url of [
      '/dashboard/api/metrics',
      '/dashboard/api/docs',
      '/dashboard/api/tasks/../metrics',
      '/dashboard/api/tasks/%2e%2e/x',
      '/dashboard/api/tasks/job-1/logs/more',
    ]) {
      const response = await app.inject({ url, headers: { cookie: cookie! } });
      assert.equal(response.statusCode, 404, url);
    }
    // An allowed route the service lacks comes back as the service's own 404.
    const missing = await app.inject({ url: '/dashboard/api/workers', headers: { cookie: cookie! } });
    assert.equal(missing.statusCode, 404);
  });

  it('keeps a history of hit rates per tier from cache counters', async () => {
    // Its own instance with a fast sampler: the first sample (at ready) is the baseline for the deltas.
    const quick = await build({ sampleIntervalMs: 40 });
    try {
      const { cookie } = await signIn(quick.app);
      Object.assign(quick.service.stats, { hits: { l1: 6, l2: 2, total: 8 }, misses: 2 });
      type Point = {
        hitRate: number | null;
        l1: number | null;
        l2: number | null;
        reads: number;
        throughput: number | null;
      };
      let points: Point[] = [];
      for (let i = 0; i < 50 && !points.some((p) => p.reads > 0); i++) {
        await new Promise((resolve) => setTimeout(resolve, 40));
        const response = await quick.app.inject({ url: '/dashboard/api/history', headers: { cookie: cookie! } });
        points = response.json<{ points: Point[] }>().points;
      }
      const point = points.find((p) => p.reads > 0);
      assert.ok(point, 'a point with reads');
      assert.deepEqual(
        { reads: point.reads, hitRate: point.hitRate, l1: point.l1, l2: point.l2, throughput: point.throughput },
        { reads: 10, hitRate: 0.8, l1: 0.6, l2: 0.2, throughput: 6 },
      );
      // Intervals without reads are gaps, not zeros.
      const idle = points.find((p) => p.reads === 0);
      if (idle) assert.equal(idle.hitRate, null);
    } finally {
      await quick.app.close();
    }
  });
});

describe('dashboard plugin, read-only and open modes', () => {
  it('read-only: signs in as a viewer and refuses every mutation', async () => {
    const { app } = await build({ readOnly: true });
    try {
      const { response, cookie, csrf } = await signIn(app);
      assert.equal(response.json<{ role: string }>().role, 'viewer');
      const clear = await app.inject({
        method: 'POST',
        url: '/dashboard/api/cache/clear',
        payload: { tag: 'x' },
        headers: { cookie: cookie!, 'x-csrf-token': csrf! },
      });
      assert.equal(clear.statusCode, 403);
      assert.match(clear.json<{ error: { message: string } }>().error.message, /read-only/);
      const enqueue = await app.inject({
        method: 'POST',
        url: '/dashboard/api/tasks/demo.render',
        payload: {},
        headers: { cookie: cookie!, 'x-csrf-token': csrf! },
      });
      assert.equal(enqueue.statusCode, 403);
      assert.equal((await app.inject({ url: '/dashboard/api/health', headers: { cookie: cookie! } })).statusCode, 200);
    } finally {
      await app.close();
    }
  });

  it('without an admin token, anyone reaching the service signs in (the admin API is open then too)', async () => {
    const { app } = await build({ adminToken: undefined });
    try {
      const session = (await app.inject('/dashboard/api/session')).json<{
        tokenRequired: boolean;
        signedIn: boolean;
      }>();
      assert.deepEqual([session.tokenRequired, session.signedIn], [false, false]);
      const { response } = await signIn(app, null);
      assert.equal(response.json<{ role: string }>().role, 'admin');
    } finally {
      await app.close();
    }
  });
});

describe('dashboard plugin over a real socket', () => {
  let app: FastifyInstance;
  let base: string;
  before(async () => {
    ({ app } = await build({ snapshotIntervalMs: 100 }));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await app.close();
  });

  const readEvents = async (response: Response, until: (text: string) => boolean): Promise<string> => {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 5_000;
    while (!until(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    await reader.cancel();
    return text;
  };

  it('streams history, then a snapshot on every tick, to a signed-in browser', async () => {
    const { cookie } = await signIn(app);
    assert.equal((await fetch(`${base}/dashboard/api/stream`)).status, 401);
    const response = await fetch(`${base}/dashboard/api/stream`, { headers: { cookie: cookie! } });
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const text = await readEvents(response, (t) => (t.match(/event: snapshot/g) ?? []).length >= 2);
    assert.match(text, /event: history\ndata: \[/);
    assert.equal((text.match(/event: snapshot/g) ?? []).length >= 2, true);
    assert.match(text, /"health":\{"status":200,"body":\{"status":"ok"/);
    assert.match(text, /"workers":\{"status":404/);
  });

  it('relays a job event stream byte for byte', async () => {
    const { cookie } = await signIn(app);
    const response = await fetch(`${base}/dashboard/api/tasks/job-1/events`, { headers: { cookie: cookie! } });
    assert.equal(response.status, 200);
    const text = await readEvents(response, (t) => t.includes('completed'));
    assert.match(text, /id: 1\nevent: progress\ndata: \{"type":"progress","progress":\{"percent":50\}\}/);
    assert.match(text, /id: 2\nevent: state/);
    assert.doesNotMatch(text, /resumed after/);
  });

  it('resumes a job event stream after ?lastEventId= (EventSource sets no header on its first request), the header winning', async () => {
    const { cookie } = await signIn(app);
    const fromQuery = await fetch(`${base}/dashboard/api/tasks/job-1/events?lastEventId=1700000000000-3`, {
      headers: { cookie: cookie! },
    });
    assert.match(await readEvents(fromQuery, (t) => t.includes('completed')), /: resumed after 1700000000000-3\n/);
    const fromHeader = await fetch(`${base}/dashboard/api/tasks/job-1/events?lastEventId=1-1`, {
      headers: { cookie: cookie!, 'last-event-id': '2-2' },
    });
    assert.match(await readEvents(fromHeader, (t) => t.includes('completed')), /: resumed after 2-2\n/);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Backplane, loadConfig, silentLogger } from 'backplane';
import { buildApp, type App } from './app.js';
import { defineDemoTasks } from './demo-tasks.js';

const TOKEN = 'dashboard-wiring-token-42';

/** The dashboard as the service registers it: same instance, the API reached by inject. */
describe('dashboard mounted by the service', () => {
  let backplane: Backplane;
  let app: App;
  before(async () => {
    backplane = await Backplane.start(loadConfig({ BACKPLANE_ADMIN_TOKEN: TOKEN }));
    defineDemoTasks(backplane.jobs);
    app = await buildApp({ backplane, logger: silentLogger() });
  });
  after(async () => {
    await app.fastify.close();
    await backplane.close();
  });

  const signIn = async (token: string) =>
    app.fastify.inject({
      method: 'POST',
      url: '/dashboard/api/session',
      headers: { origin: 'http://localhost:80', host: 'localhost:80' },
      payload: { token },
    });

  it('serves the page offline (no external scripts)', async () => {
    const page = await app.fastify.inject('/dashboard/');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<title>backplane dashboard<\/title>/);
    assert.doesNotMatch(page.body, /https?:\/\/(?!localhost)[^"']+\.(js|css)/);
  });

  it('refuses a wrong token and forwarded calls without a session', async () => {
    const wrong = await signIn('not-the-token-at-all');
    assert.equal(wrong.statusCode, 401);
    const anonymous = await app.fastify.inject('/dashboard/api/queues');
    assert.equal(anonymous.statusCode, 401);
  });

  it('signs in into an HttpOnly cookie and forwards API calls, mutations only with the CSRF token', async () => {
    const response = await signIn(TOKEN);
    assert.equal(response.statusCode, 200);
    const cookie = String(response.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Strict/i);
    const { csrfToken } = response.json<{ csrfToken: string }>();
    const jar = cookie.split(';')[0] ?? '';
    const queues = await app.fastify.inject({ url: '/dashboard/api/queues', headers: { cookie: jar } });
    assert.equal(queues.statusCode, 200);
    assert.ok(queues.json<{ queues: unknown[] }>().queues.length >= 1);
    const created = await app.fastify.inject({
      method: 'POST',
      url: '/tasks/demo.long?delay=1h',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: {},
    });
    const { id } = created.json<{ id: string }>();
    const base = { method: 'DELETE' as const, url: `/dashboard/api/tasks/${encodeURIComponent(id)}` };
    const noCsrf = await app.fastify.inject({
      ...base,
      headers: { cookie: jar, origin: 'http://localhost:80', host: 'localhost:80' },
    });
    assert.equal(noCsrf.statusCode, 403);
    const withCsrf = await app.fastify.inject({
      ...base,
      headers: { cookie: jar, origin: 'http://localhost:80', host: 'localhost:80', 'x-csrf-token': csrfToken },
    });
    assert.equal(withCsrf.statusCode, 200, withCsrf.body);
    assert.equal(withCsrf.json<{ state: string }>().state, 'cancelled');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCache, type Cache } from 'backplane';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { dashboardPlugin } from '../../packages/dashboard/src/index.js';
import {
  browserSkipReason,
  IN_BROWSER,
  waitInPage,
  ensureDashboardBuilt,
  launchBrowser,
  screenshot,
  signInThroughForm,
  watchConsole,
} from '../helpers/dashboard-browser.js';

const TOKEN = 'dashboard-cache-e2e-token';

/**
 * The service API has no route that reads the cache, so this suite serves a real two-tier cache
 * (the core library's, memory backend) behind the same /cache routes the service exposes, with the
 * dashboard plugin registered in-process exactly as the service registers it.
 */
describe('dashboard cache page in headless Chromium, over a real cache', { skip: browserSkipReason() }, () => {
  let cache: Cache;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const clears: unknown[] = [];

  before(async () => {
    ensureDashboardBuilt();
    cache = createCache({});
    app = Fastify();
    app.get('/health', async () => ({ status: 'ok', checks: { cache: { status: 'ok' } } }));
    app.get('/redis/status', async () => ({ backend: 'memory' }));
    app.get('/cache/stats', async () => cache.stats());
    app.post('/cache/clear', async (request) => {
      if (request.headers.authorization !== `Bearer ${TOKEN}`)
        throw Object.assign(new Error('unauthorized'), { statusCode: 401 });
      const body = request.body as { namespace?: string; tag?: string; prefix?: string };
      clears.push(body);
      if (body.tag) await cache.invalidateTags([body.tag]);
      else if (body.prefix) await cache.invalidatePrefix(body.prefix);
      else if (body.namespace) await cache.namespace(body.namespace).clear();
      return { cleared: 1 };
    });
    const common = { adminToken: TOKEN, sampleIntervalMs: 300, snapshotIntervalMs: 250 };
    await app.register(dashboardPlugin, { prefix: '/dashboard', ...common });
    await app.register(dashboardPlugin, { prefix: '/viewer', ...common, readOnly: true });
    base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = watchConsole(page);
    await signInThroughForm(page, base, TOKEN);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await cache?.close();
  });

  const hitRateText = () => page.getByTestId('hit-rate').textContent();

  it('shows the hit rate change after cache reads, live and on the per-tier chart', async () => {
    await page.goto(`${base}/dashboard/#/cache`);
    await page.getByTestId('hit-rate').waitFor();
    assert.equal(await hitRateText(), '0.0%');

    await cache.set('user:1', { name: 'Ada' });
    for (let i = 0; i < 9; i++) assert.deepEqual(await cache.get('user:1'), { name: 'Ada' });
    assert.equal(await cache.get('user:missing'), undefined);
    const expected = `${(cache.stats().hitRate * 100).toFixed(1)}%`;
    assert.notEqual(expected, '0.0%');

    await waitInPage(page, IN_BROWSER.textIs('[data-testid=hit-rate]', expected));
    // The chart draws once two samples bracket the reads: a line for all tiers with a point above 0%.
    await waitInPage(page, IN_BROWSER.chartShowsData);
    assert.match((await page.locator('.chart svg').first().getAttribute('aria-label')) ?? '', /all tiers \d+%/);
    await screenshot(page, 'cache-hit-rate');

    await page.goto(`${base}/dashboard/#/overview`);
    await waitInPage(page, IN_BROWSER.chartShowsData);
    await screenshot(page, 'overview-with-chart');
  });

  it('clears by tag only after a confirmation', async () => {
    await page.goto(`${base}/dashboard/#/cache`);
    await page.getByLabel('tag').check();
    await page.getByLabel('Value').fill('users');
    await page.getByRole('button', { name: 'Clear…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Clear cache entries?' });
    await dialog.waitFor();
    await screenshot(page, 'cache-clear-confirm');
    // Escape cancels: nothing is sent.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.deepEqual(clears, []);

    await page.getByRole('button', { name: 'Clear…' }).click();
    await dialog.getByRole('button', { name: 'Clear', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Cleared' }).waitFor();
    assert.deepEqual(clears, [{ tag: 'users' }]);
  });

  it('in read-only mode shows the figures but offers no mutation, and the API refuses one', async () => {
    const viewer = await browser.newPage();
    try {
      await viewer.goto(`${base}/viewer/`);
      await viewer.getByLabel('Admin token').fill(TOKEN);
      await viewer.getByRole('button', { name: 'Sign in' }).click();
      await viewer.getByText('read-only', { exact: true }).waitFor();
      await viewer.goto(`${base}/viewer/#/cache`);
      await viewer.getByTestId('hit-rate').waitFor();
      await viewer.getByText('The dashboard is read-only: clearing is disabled.').waitFor();
      assert.equal(await viewer.getByRole('button', { name: 'Clear…' }).count(), 0);
      const status = await viewer.evaluate(async () => {
        const session = (await (await fetch('api/session')).json()) as { csrfToken: string };
        const response = await fetch('api/cache/clear', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
          body: JSON.stringify({ tag: 'users' }),
        });
        return response.status;
      });
      assert.equal(status, 403);
      await screenshot(viewer, 'cache-read-only');
    } finally {
      await viewer.close();
    }
  });

  it('raised no script errors or CSP violations', () => {
    assert.deepEqual(problems, []);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { freePort, redisSkipReason, startRedisServer, type RedisServerHandle } from 'backplane/testing';
import {
  browserSkipReason,
  dashboardFor,
  ensureDashboardBuilt,
  launchBrowser,
  screenshot,
  signInThroughForm,
} from '../helpers/dashboard-browser.js';
import { runBackplane, waitForJson, type ServiceProcess } from '../helpers/service-process.js';

const TOKEN = 'dashboard-redis-e2e-token';
const PASSWORD = 'dashboard-redis-pw-9';

describe('dashboard Redis status in headless Chromium', { skip: redisSkipReason() ?? browserSkipReason() }, () => {
  let redis: RedisServerHandle;
  let service: ServiceProcess;
  let base: string;
  let harness: FastifyInstance | undefined;
  let browser: Browser;
  let page: Page;

  before(async () => {
    ensureDashboardBuilt();
    redis = await startRedisServer({ password: PASSWORD });
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;
    service = runBackplane(['server'], {
      PORT: String(port),
      REDIS_URL: redis.url,
      BACKPLANE_ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
    });
    await waitForJson<{ status: string }>(`${api}/health`, 15_000, (body) => body.status === 'ok');
    ({ base, harness } = await dashboardFor(api, TOKEN));
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signInThroughForm(page, base, TOKEN);
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    await service?.stop();
    await redis?.stop();
  });

  it('shows each connection up with its version, never the password, and sees Redis go down live', async () => {
    const table = page.getByRole('table', { name: 'Redis per connection' });
    await table.waitFor({ timeout: 10_000 });
    for (const component of ['cache', 'jobs', 'sessions']) {
      const row = table
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${component}`) }) });
      await row.getByText('up', { exact: true }).waitFor({ timeout: 10_000 });
      assert.match((await row.textContent()) ?? '', /\d+\.\d+\.\d+/, `${component} shows a Redis version`);
    }
    assert.ok(!(await page.content()).includes(PASSWORD), 'the Redis password is on the page');
    await screenshot(page, 'overview-redis');

    await redis.stop();
    // The next snapshots (every 2 s) carry the health checks and connection states that noticed.
    await table.getByText('down', { exact: true }).first().waitFor({ timeout: 15_000 });
    await page
      .getByText(/Service:/)
      .getByText(/degraded|down/)
      .waitFor({ timeout: 15_000 });
    // A route that fails says so, instead of looking empty.
    await page.getByText(/GET \/queues is unavailable right now \(503/).waitFor({ timeout: 15_000 });
    await screenshot(page, 'overview-redis-down');
  });
});

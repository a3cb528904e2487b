import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { freePort } from 'backplane/testing';
import { browserSkipReason, ensureDashboardBuilt, launchBrowser, watchConsole } from '../helpers/dashboard-browser.js';
import { runBackplane, waitForJson, type ServiceProcess } from '../helpers/service-process.js';

describe('dashboard of a service with no admin token, in headless Chromium', { skip: browserSkipReason() }, () => {
  let service: ServiceProcess;
  let base: string;
  let browser: Browser;

  before(async () => {
    ensureDashboardBuilt();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = runBackplane(['server'], { PORT: String(port), LOG_LEVEL: 'warn' });
    await waitForJson(`${base}/health/live`, 15_000, (_body, status) => status === 200);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await service?.stop();
  });

  it('goes straight in (there is no token to ask for), stays out after Sign out, and signs in again by hand', async () => {
    const page = await browser.newPage();
    const problems = watchConsole(page);
    await page.goto(`${base}/dashboard/`);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByRole('button', { name: 'Sign in' }).count(), 0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the dashboard' }).waitFor();
    // A reload in this tab does not sign in behind the user's back.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to the dashboard' }).waitFor();
    await page.waitForTimeout(500);
    assert.equal(await page.getByRole('heading', { name: 'Overview', level: 1 }).count(), 0);

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    // Signed in by hand: the next load goes straight in again.
    await page.reload();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor({ timeout: 10_000 });
    assert.deepEqual(problems, []);
    await page.close();
  });
});

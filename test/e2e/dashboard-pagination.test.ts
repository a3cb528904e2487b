import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import {
  browserSkipReason,
  IN_BROWSER,
  screenshot,
  serviceWithDashboard,
  waitInPage,
} from '../helpers/dashboard-browser.js';
import { BULK_JOBS } from './dashboard-bulk-tasks.js';

const TOKEN = 'dashboard-pagination-token-1';
const TASKS = fileURLToPath(new URL('./dashboard-bulk-tasks.ts', import.meta.url));

describe('dashboard job list with 10,000 waiting jobs, in headless Chromium', { skip: browserSkipReason() }, () => {
  let base: string;
  let page: Page;
  let close: () => Promise<void>;

  before(async () => {
    ({ base, page, close } = await serviceWithDashboard(TOKEN, { args: ['--tasks', TASKS] }));
  });

  after(async () => {
    await close?.();
  });

  it('shows the count, 50 rows a page, and pages forward and back by cursor', async () => {
    await page.goto(`${base}/dashboard/#/jobs?queue=default&state=waiting`);
    await page.getByRole('link', { name: `waiting ${BULK_JOBS.toLocaleString('en-US')}` }).waitFor({ timeout: 15_000 });
    const rows = page.locator('table.jobs tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 50);
    const firstOfPage1 = (await rows.first().getAttribute('data-job-id')) ?? '';

    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await waitInPage(page, IN_BROWSER.firstRowIsNot(firstOfPage1));
    const firstOfPage2 = (await rows.first().getAttribute('data-job-id')) ?? '';
    assert.equal(await rows.count(), 50);

    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Page 3', { exact: true }).waitFor();
    await waitInPage(page, IN_BROWSER.firstRowIsNot(firstOfPage2));

    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await waitInPage(page, IN_BROWSER.firstRowIs(firstOfPage2));
    await page.getByRole('button', { name: 'Previous' }).click();
    await page.getByText('Page 1', { exact: true }).waitFor();
    await waitInPage(page, IN_BROWSER.firstRowIs(firstOfPage1));
    await screenshot(page, 'jobs-10k');
  });

  it('follows nextCursor through the dashboard API to the end: 200 pages, every job once', async () => {
    // The cursor is opaque to the dashboard: it passes nextCursor back unchanged.
    const cookie = (await page.context().cookies())[0];
    assert.ok(cookie);
    let cursor: string | null = null;
    let pages = 0;
    const seen = new Set<string>();
    do {
      const url = `${base}/dashboard/api/tasks?queue=default&state=waiting&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const response = await fetch(url, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { jobs: { id: string }[]; nextCursor: string | null };
      for (const job of body.jobs) seen.add(job.id);
      cursor = body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 1_000);
    assert.equal(seen.size, BULK_JOBS);
    assert.equal(pages, BULK_JOBS / 50);
  });
});

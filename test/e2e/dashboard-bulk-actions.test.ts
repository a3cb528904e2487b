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

const TOKEN = 'dashboard-bulk-actions-token';
const TASKS = fileURLToPath(new URL('../fixtures/tasks.ts', import.meta.url));

describe(
  'dashboard: retry and remove all the jobs of a state, in headless Chromium',
  { skip: browserSkipReason() },
  () => {
    let api: string;
    let base: string;
    let page: Page;
    let problems: string[];
    let close: () => Promise<void>;

    async function failedCount(): Promise<number> {
      const body = (await (await fetch(`${api}/queues`)).json()) as {
        queues: Array<{ name: string; counts: Record<string, number> }>;
      };
      return body.queues.find((queue) => queue.name === 'default')?.counts.failed ?? 0;
    }

    async function untilFailed(count: number): Promise<void> {
      for (let tries = 0; (await failedCount()) !== count; tries++) {
        assert.ok(tries < 500, `${count} failed jobs`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }

    before(async () => {
      ({ api, base, page, problems, close } = await serviceWithDashboard(TOKEN, {
        args: ['--tasks', TASKS],
        env: { RATE_LIMIT_PER_MINUTE: '0' },
      }));
    });

    after(async () => {
      await close?.();
    });

    it('retries every failed job with one button, then removes them after a confirmation', async () => {
      for (let n = 0; n < 3; n++) {
        const response = await fetch(`${api}/tasks/fixture.fail`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: '{}',
        });
        assert.equal(response.status, 202);
      }
      await untilFailed(3);

      await page.goto(`${base}/dashboard/#/jobs?queue=default&state=failed`);
      const rows = page.locator('table.jobs tbody tr');
      await waitInPage(page, IN_BROWSER.jobRowsAre(3));
      const firstAttemptIds: string[] = [];
      for (let n = 0; n < 3; n++) firstAttemptIds.push((await rows.nth(n).getAttribute('data-job-id')) ?? '');

      await page.getByRole('button', { name: 'Retry all failed jobs' }).click();
      await page.getByRole('status').filter({ hasText: '3 failed jobs waiting again.' }).waitFor();
      // The fixture fails every time: the same three jobs come back to failed, after a second run.
      await untilFailed(3);
      const history = (await (
        await fetch(`${api}/tasks/${encodeURIComponent(firstAttemptIds[0] as string)}`)
      ).json()) as {
        state: string;
      };
      assert.equal(history.state, 'failed');

      await page.getByRole('button', { name: 'Remove all failed jobs…' }).click();
      const confirm = page.getByRole('button', { name: /^Yes, remove \d+ failed jobs$/ });
      await confirm.waitFor();
      await screenshot(page, 'jobs-remove-all-confirm');
      await confirm.click();
      await page.getByRole('status').filter({ hasText: '3 failed jobs removed.' }).waitFor();
      await page.getByText('No failed jobs in queue default.').waitFor();
      assert.equal(await failedCount(), 0);
      for (const id of firstAttemptIds) {
        assert.equal((await fetch(`${api}/tasks/${encodeURIComponent(id)}`)).status, 404);
      }
      assert.deepEqual(problems, []);
    });

    it('keeps the jobs when the removal is not confirmed, runs a delayed job now, and offers no bulk action for running jobs', async () => {
      const response = await fetch(`${api}/tasks/fixture.sum?delay=1h`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: '{"numbers":[1]}',
      });
      assert.equal(response.status, 202);
      const { id } = (await response.json()) as { id: string };
      await page.goto(`${base}/dashboard/#/jobs?queue=default&state=delayed`);
      await waitInPage(page, IN_BROWSER.jobRowsAre(1));
      assert.equal(await page.getByRole('button', { name: /^Retry all/ }).count(), 0, 'delayed jobs are not retried');
      await page.getByRole('button', { name: 'Remove all delayed jobs…' }).click();
      await page.getByRole('button', { name: 'Keep them' }).click();
      await page.getByRole('button', { name: 'Remove all delayed jobs…' }).waitFor();
      assert.equal(await page.locator('table.jobs tbody tr').count(), 1);
      await page.getByRole('button', { name: `Run now job ${id}` }).click();
      await page.getByText('No delayed jobs in queue default.').waitFor();
      for (let tries = 0; ; tries++) {
        const job = (await (await fetch(`${api}/tasks/${encodeURIComponent(id)}`)).json()) as { state: string };
        if (job.state === 'completed') break;
        assert.ok(tries < 250, `the promoted job completed (it is ${job.state})`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      // The job page offers the same for a delayed job.
      const second = (await (
        await fetch(`${api}/tasks/fixture.sum?delay=1h`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: '{"numbers":[4]}',
        })
      ).json()) as { id: string };
      // Its event stream is held back until the job has finished: the page hears of the end only
      // from the stream's snapshot, and must still show the result.
      const heldBack = `**/api/tasks/${encodeURIComponent(second.id)}/events`;
      await page.route(heldBack, async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await route.continue();
      });
      await page.goto(`${base}/dashboard/#/jobs/${encodeURIComponent(second.id)}`);
      await page.getByRole('button', { name: 'Run now' }).click();
      await page
        .getByRole('region', { name: 'Result' })
        .locator('pre')
        .filter({ hasText: '"total": 4' })
        .waitFor({ timeout: 15_000 });
      await page.locator('.badge.state-completed').first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Run now' }).count(), 0, 'no longer delayed');
      await page.unroute(heldBack);

      await page.goto(`${base}/dashboard/#/jobs?queue=default&state=active`);
      await page
        .getByRole('tab', { name: /active/ })
        .or(page.getByRole('link', { name: /^active/ }))
        .first()
        .waitFor();
      assert.equal(await page.getByRole('button', { name: /^(Retry|Remove) all/ }).count(), 0);
      assert.deepEqual(problems, []);
    });
  },
);

import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort } from 'backplane/testing';
import {
  browserSkipReason,
  dashboardFor,
  IN_BROWSER,
  ensureDashboardBuilt,
  launchBrowser,
  screenshot,
  signInThroughForm,
  watchConsole,
} from '../helpers/dashboard-browser.js';
import { runBackplane, waitForJson, type ServiceProcess } from '../helpers/service-process.js';

const TOKEN = 'dashboard-e2e-token-7';

interface Accepted {
  id: string;
  state: string;
}

describe('dashboard in headless Chromium, against the service process', { skip: browserSkipReason() }, () => {
  let service: ServiceProcess;
  let api: string;
  /** Where the dashboard is served: the service itself once it registers the plugin, else a harness beside it. */
  let base: string;
  let harness: FastifyInstance | undefined;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  before(async () => {
    ensureDashboardBuilt();
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    service = runBackplane(['server'], {
      PORT: String(port),
      BACKPLANE_ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    await waitForJson(`${api}/health/live`, 15_000, (_body, status) => status === 200);
    ({ base, harness } = await dashboardFor(api, TOKEN));
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    problems = watchConsole(page);
  });

  after(async () => {
    await browser?.close();
    await harness?.close();
    await service?.stop();
  });

  /** Enqueues through the public API, as a client application would; null when the service has no task routes yet. */
  const enqueue = async (name: string, payload: unknown, query = ''): Promise<Accepted | null> => {
    const response = await fetch(`${api}/tasks/${name}${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    if (response.status === 404) {
      const body = (await response.json()) as { error?: { message?: string } };
      if (body.error?.message?.startsWith('no route')) return null;
    }
    assert.equal(response.status, 202, await response.clone().text());
    return (await response.json()) as Accepted;
  };

  const needsTaskRoutes = (t: TestContext, job: Accepted | null): job is null => {
    if (job !== null) return false;
    t.todo('needs the /tasks routes in the service');
    return true;
  };

  /**
   * Opens a job's page from another page: a hash change alone keeps the job page mounted, and the
   * previous job's timeline and log would show until the new job's replace them.
   */
  const openJob = async (id: string): Promise<void> => {
    await page.goto(`${base}/dashboard/#/overview`);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.goto(`${base}/dashboard/#/jobs/${encodeURIComponent(id)}`);
    await page.getByRole('heading', { name: `Job ${id}` }).waitFor({ timeout: 10_000 });
  };

  const progressOf = (selector: string) =>
    page
      .locator(selector)
      .first()
      .getAttribute('aria-valuenow', { timeout: 1_000 })
      .catch(() => null);

  it('refuses a wrong token and shows why, with no session', async () => {
    await page.goto(`${base}/dashboard/`);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /token is wrong/);
    assert.equal(await page.getByRole('navigation', { name: 'Dashboard pages' }).count(), 0);
    assert.equal((await context.cookies()).length, 0);
    await screenshot(page, 'signin-refused');
  });

  it('signs in into an HttpOnly, SameSite=Strict cookie and shows the overview live', async () => {
    await signInThroughForm(page, base, TOKEN);
    const cookies = await context.cookies();
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0]?.httpOnly, true);
    assert.equal(cookies[0]?.sameSite, 'Strict');
    assert.ok(!cookies[0]?.value.includes(TOKEN));
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.getByText('Embedded memory backend').waitFor();
    await page.locator('.live.on').waitFor();
    await screenshot(page, 'overview');
  });

  it('renders every page, reachable by keyboard alone', async () => {
    await page.goto(`${base}/dashboard/#/overview`);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    // Tab order: skip link first, then the page links.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(IN_BROWSER.focusedText), 'Skip to content');
    for (const [label, file] of [
      ['Queues', 'queues'],
      ['Jobs', 'jobs'],
      ['Workers', 'workers'],
      ['Cache', 'cache'],
    ] as const) {
      await page.getByRole('link', { name: label, exact: true }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: label, level: 1 }).waitFor();
      assert.equal(await page.getByRole('link', { name: label, exact: true }).getAttribute('aria-current'), 'page');
      await page.waitForTimeout(300);
      await screenshot(page, file);
    }
    // Every form control has an accessible name.
    const unlabeled = await page.evaluate<string[]>(IN_BROWSER.unlabeledControls);
    assert.deepEqual(unlabeled, []);
  });

  it('follows a demo job to 100% on its live progress bar', async (t) => {
    const job = await enqueue('demo.render', { title: 'e2e' });
    if (needsTaskRoutes(t, job)) return;
    await openJob(job.id);
    await page.getByRole('heading', { name: 'Job detail' }).waitFor();
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    let value: string | null = null;
    while (Date.now() < deadline && value !== '100') {
      value = await progressOf('[role=progressbar]');
      if (value !== null) seen.add(value);
      await page.waitForTimeout(50);
    }
    assert.equal(value, '100', `progress values seen: ${[...seen].join(', ')}`);
    await page.getByTestId('job-state').getByText('completed').waitFor({ timeout: 10_000 });
    assert.ok((await page.locator('.timeline li').count()) > 0, 'the timeline shows events');
    await screenshot(page, 'job-completed');

    await page.goto(`${base}/dashboard/#/jobs?state=completed&name=demo.render`);
    const row = page.locator(`tr[data-job-id="${job.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.getByText('completed').waitFor();
    await screenshot(page, 'jobs-list');

    // Opened by its id from the Jobs page, as from a support ticket; a bare local id is of the queue shown.
    await page.getByLabel('Job id').fill(job.id.slice(job.id.indexOf(':') + 1));
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('heading', { name: `Job ${job.id}` }).waitFor({ timeout: 10_000 });
  });

  it('cancels a running job from its page and shows it cancelled', async (t) => {
    const job = await enqueue('demo.long', {});
    if (needsTaskRoutes(t, job)) return;
    await openJob(job.id);
    await page.getByTestId('job-state').getByText('active').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByTestId('job-state').getByText('cancelled').waitFor({ timeout: 15_000 });
    const answer = (await (await fetch(`${api}/tasks/${encodeURIComponent(job.id)}`)).json()) as { state: string };
    assert.equal(answer.state, 'cancelled');
    // The cancellation arrived on the live stream, after the progress the job had made.
    await page.locator('.timeline li', { hasText: 'cancelled' }).last().waitFor();
    await screenshot(page, 'job-cancelled');

    // Retry runs it again and the page follows it live once more; then cancel for good.
    await page.getByRole('button', { name: 'Retry job' }).click();
    await page.getByTestId('job-state').getByText('active').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByTestId('job-state').getByText('cancelled').waitFor({ timeout: 15_000 });
  });

  it('shows a failed job with its error, and the failed tab lists it', async (t) => {
    const job = await enqueue('demo.flaky', {}, '?attempts=1');
    if (needsTaskRoutes(t, job)) return;
    await openJob(job.id);
    await page.getByTestId('job-state').getByText('failed').waitFor({ timeout: 15_000 });
    await page.getByRole('heading', { name: 'Error' }).waitFor();
    await page.getByText('the first attempt always fails').first().waitFor();
    // The recorded stack, under the message.
    await page.locator('pre', { hasText: /^Error: the first attempt always fails[^\n]*\n\s+at / }).waitFor();
    await page.goto(`${base}/dashboard/#/jobs?state=failed`);
    await page.locator(`tr[data-job-id="${job.id}"]`).getByRole('button', { name: /Retry/ }).waitFor();
    await screenshot(page, 'jobs-failed');
  });

  it("shows a job's own log on its page, live while the job runs", async (t) => {
    const job = await enqueue('demo.render', { stepMs: 400 });
    if (needsTaskRoutes(t, job)) return;
    await openJob(job.id);
    const log = page.getByRole('list', { name: `Log of job ${job.id}` });
    await log.getByText('fetching assets').waitFor({ timeout: 15_000 });
    // The first step's line is on the page while the job still runs (five steps of 400 ms).
    assert.equal(await page.getByTestId('job-state').textContent(), 'active');
    await page.getByTestId('job-state').getByText('completed').waitFor({ timeout: 20_000 });
    await log.getByText('render ready').waitFor({ timeout: 5_000 });
    assert.equal(await log.locator('li').count(), 6);
    assert.match((await log.locator('li').first().textContent()) ?? '', /info\s+#1 fetching assets\s*\{"step":1\}/);

    const flaky = await enqueue('demo.flaky', {});
    if (needsTaskRoutes(t, flaky)) return;
    await openJob(flaky.id);
    await page.getByTestId('job-state').getByText('completed').waitFor({ timeout: 15_000 });
    const flakyLog = page.getByRole('list', { name: `Log of job ${flaky.id}` });
    await flakyLog.locator('li').nth(2).waitFor({ timeout: 5_000 });
    const texts = await flakyLog.locator('li').allTextContents();
    assert.equal(texts.length, 3, texts.join(' | '));
    assert.match(texts[0] ?? '', /info\s+#1 attempt 1 of 3/);
    assert.match(texts[1] ?? '', /warn\s+#1 failing on purpose; the retry will succeed/);
    assert.match(texts[2] ?? '', /info\s+#2 attempt 2 of 3/);
    await flakyLog.locator('li.level-warn').waitFor();
    // Completed on its retry: the result shows, and the first attempt's error only as a note.
    await page.getByRole('heading', { name: 'Result' }).waitFor();
    await page.locator('pre', { hasText: '"attempt": 2' }).waitFor();
    assert.match(
      (await page.getByTestId('earlier-error').textContent()) ?? '',
      /^An earlier attempt failed: the first attempt always fails/,
    );
    await screenshot(page, 'job-log');
  });

  const historyTypes = async (id: string): Promise<string[]> => {
    const response = await fetch(`${api}/tasks/${encodeURIComponent(id)}/history`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { events: Array<{ type: string }> }).events.map((event) => event.type);
  };
  const timelineTypes = () => page.locator('.timeline li strong').allTextContents();
  /** The timeline's event types once it holds `count` entries (or what it holds after 10 s). */
  const settledTimeline = async (count: number): Promise<string[]> => {
    const deadline = Date.now() + 10_000;
    let types = await timelineTypes();
    while (types.length !== count && Date.now() < deadline) {
      await page.waitForTimeout(50);
      types = await timelineTypes();
    }
    return types;
  };

  it("shows a finished job's timeline from its history, and a running one's continuing live without a gap", async (t) => {
    const flaky = await enqueue('demo.flaky', {});
    if (needsTaskRoutes(t, flaky)) return;
    await waitForJson(
      `${api}/tasks/${encodeURIComponent(flaky.id)}`,
      15_000,
      (body) => (body as Accepted).state === 'completed',
    );
    const finished = await historyTypes(flaky.id);
    assert.deepEqual(finished.slice(0, 2), ['waiting', 'active']);
    assert.ok(finished.includes('retrying'), finished.join(' '));
    await openJob(flaky.id);
    // Every event since the job was made, in order, each at its own time; no stream was needed.
    assert.deepEqual(await settledTimeline(finished.length), finished);
    await page.getByText('Not live').waitFor();
    const times = await page.locator('.timeline li time').allTextContents();
    assert.ok(
      times.every((text) => /^\d\d:\d\d:\d\d$/.test(text)),
      times.join(' '),
    );

    // A running job: its history so far, then the live stream resumed right after it.
    const render = await enqueue('demo.render', { stepMs: 300 });
    if (needsTaskRoutes(t, render)) return;
    await waitForJson(
      `${api}/tasks/${encodeURIComponent(render.id)}`,
      15_000,
      (body) => ((body as { progress?: { percent?: number } }).progress?.percent ?? 0) >= 20,
    );
    await openJob(render.id);
    await page.getByText('Live: following').waitFor({ timeout: 10_000 });
    const early = await timelineTypes();
    assert.deepEqual(early.slice(0, 3), ['waiting', 'active', 'progress'], early.join(' '));
    await page.locator('.timeline li', { hasText: 'completed' }).waitFor({ timeout: 20_000 });
    const all = await historyTypes(render.id);
    assert.deepEqual(await settledTimeline(all.length), all);
    await screenshot(page, 'job-timeline');
  });

  it('runs a task from the Tasks page with a payload, lands on its job, and runs it again from there', async () => {
    await page.goto(`${base}/dashboard/#/tasks`);
    const row = page.locator('tr[data-task="demo.render"]');
    await row.waitFor({ timeout: 10_000 });
    assert.match((await page.locator('tr[data-task="demo.flaky"]').textContent()) ?? '', /default\s*3/);
    await row.getByRole('button', { name: 'Run demo.render' }).click();
    const payload = page.getByLabel('Payload (JSON)');
    // Not JSON: said on the page, nothing enqueued.
    await payload.fill('{"stepMs": ');
    await page.getByRole('button', { name: 'Enqueue' }).click();
    await page
      .getByRole('alert')
      .getByText(/The payload is not valid JSON/)
      .waitFor();
    assert.match(page.url(), /#\/tasks$/);

    await payload.fill('{"stepMs": 40}');
    await page.getByRole('button', { name: 'Enqueue' }).click();
    await page.waitForURL(/#\/jobs\/default(%3A|:)/, { timeout: 10_000 });
    const firstId = decodeURIComponent(page.url().split('#/jobs/')[1] ?? '');
    await page.getByTestId('job-state').getByText('completed').waitFor({ timeout: 15_000 });
    await page.locator('pre', { hasText: '"stepMs": 40' }).first().waitFor();

    await page.getByRole('button', { name: 'Run again' }).click();
    await page.waitForURL((url) => !decodeURIComponent(url.hash).endsWith(firstId), { timeout: 10_000 });
    const secondId = decodeURIComponent(page.url().split('#/jobs/')[1] ?? '');
    assert.notEqual(secondId, firstId);
    await page.getByTestId('job-state').getByText('completed').waitFor({ timeout: 15_000 });
    const again = (await (await fetch(`${api}/tasks/${encodeURIComponent(secondId)}`)).json()) as {
      name: string;
      data: unknown;
    };
    assert.equal(again.name, 'demo.render');
    assert.deepEqual(again.data, { stepMs: 40 });

    // Options go with it: a delay makes a delayed job.
    await page.goto(`${base}/dashboard/#/tasks`);
    await page.getByRole('button', { name: 'Run demo.flaky' }).click();
    await page.getByLabel('Delay').fill('1h');
    await page.getByRole('button', { name: 'Enqueue' }).click();
    await page.getByTestId('job-state').getByText('delayed').waitFor({ timeout: 10_000 });
    await screenshot(page, 'task-run-delayed');
  });

  it('pauses and resumes a queue from the Queues page', async (t) => {
    const job = await enqueue('demo.render', {}, '?queue=dash-pause');
    if (needsTaskRoutes(t, job)) return;
    await page.goto(`${base}/dashboard/#/queues`);
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'dash-pause' }) });
    await row.waitFor({ timeout: 10_000 });
    await row.getByRole('button', { name: /Pause/ }).click();
    await row.getByText('paused', { exact: true }).waitFor({ timeout: 10_000 });
    const paused = (await (await fetch(`${api}/queues`)).json()) as { queues: { name: string; paused: boolean }[] };
    assert.equal(paused.queues.find((queue) => queue.name === 'dash-pause')?.paused, true);
    await screenshot(page, 'queues-paused');
    await row.getByRole('button', { name: /Resume/ }).click();
    await row.getByText('running', { exact: true }).waitFor({ timeout: 10_000 });
  });

  it('raised no script errors or CSP violations', () => {
    assert.deepEqual(problems, []);
  });

  it('signs out, after which the API refuses the browser', async () => {
    await page.goto(`${base}/dashboard/#/overview`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    const status = await page.evaluate(async () => (await fetch('api/health')).status);
    assert.equal(status, 401);
  });
});

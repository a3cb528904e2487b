import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from 'backplane/testing';
import { dashboardPlugin } from '../../packages/dashboard/src/index.js';
import { runBackplane, waitForJson } from './service-process.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const WEB_INDEX = fileURLToPath(new URL('../../packages/dashboard/dist/web/index.html', import.meta.url));

/**
 * Browser suites skip locally without Debian's chromium, with the reason shown; under CI=true they
 * run regardless, so a missing browser fails the build instead of passing it silently.
 */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM) || process.env.CI === 'true') return false;
  return `${CHROMIUM} is missing (apt-get install -y chromium); under CI=true these tests fail instead`;
}

export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** `npm test` type-checks but does not run vite: build the front end once if it is missing. */
export function ensureDashboardBuilt(): void {
  if (existsSync(WEB_INDEX)) return;
  const result = spawnSync('npm', ['run', 'build:web', '--silent', '-w', '@backplane/dashboard'], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`building the dashboard failed:\n${result.stdout}${result.stderr}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}dashboard-${name}.png`, fullPage: true });
}

/** Signs in through the form, as a person would. */
export async function signInThroughForm(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/dashboard/`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Dashboard pages' }).waitFor();
}

/** Collects what would make a page broken without failing visibly: script errors and CSP violations. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of (401|404)/.test(message.text()))
      problems.push(`console: ${message.text()}`);
  });
  return problems;
}

/**
 * Checks that run inside the page, as source text: the tests are type-checked without the DOM
 * library, and these few lines are all that touch `document`.
 */
export const IN_BROWSER = {
  focusedText: 'document.activeElement?.textContent ?? null',
  /** Form controls with no accessible name (no text, no <label>, no aria-label). */
  unlabeledControls: `[...document.querySelectorAll('input, select, button')]
    .filter((el) => !el.innerText?.trim() && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map((el) => el.outerHTML)`,
  /** A visible mark for the all-tiers series: a segment, or a dot for a lone sample between gaps. */
  chartShowsData: `document.querySelector('.chart circle.s-total') !== null ||
    (document.querySelector('.chart path.s-total')?.getAttribute('d') ?? '').includes('L')`,
  firstRowIs: (id: string): string =>
    `document.querySelector('table.jobs tbody tr')?.getAttribute('data-job-id') === ${JSON.stringify(id)}`,
  firstRowIsNot: (id: string): string =>
    `(document.querySelector('table.jobs tbody tr')?.getAttribute('data-job-id') ?? ${JSON.stringify(id)}) !== ${JSON.stringify(id)}`,
  jobRowsAre: (count: number): string => `document.querySelectorAll('table.jobs tbody tr').length === ${count}`,
  textIs: (selector: string, text: string): string =>
    `document.querySelector(${JSON.stringify(selector)})?.textContent === ${JSON.stringify(text)}`,
} as const;

/**
 * Waits until `expression` (one of IN_BROWSER's) is true in the page. It polls from Node through
 * `page.evaluate`, never `page.waitForFunction` with source text: Playwright re-evaluates such text
 * inside the page with `eval`, which the dashboard's CSP (`script-src 'self'`) rightly refuses.
 */
export async function waitInPage(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await page.evaluate(expression)) === true) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting in the page for: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Where the dashboard of the service at `api` is: the service itself once it registers the plugin,
 * otherwise a harness serving the plugin beside it (forwarding over HTTP), so the browser tests run
 * either way.
 */
export async function dashboardFor(
  api: string,
  adminToken: string,
): Promise<{ base: string; harness?: FastifyInstance }> {
  const probe = await fetch(`${api}/dashboard/api/session`);
  if (probe.status === 200) return { base: api };
  const harness = Fastify();
  await harness.register(dashboardPlugin, { prefix: '/dashboard', adminToken, upstream: { kind: 'url', url: api } });
  const base = (await harness.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  return { base, harness };
}

export interface ServiceWithDashboard {
  /** The service's own address. */
  api: string;
  /** Where its dashboard is served (`${base}/dashboard/`). */
  base: string;
  browser: Browser;
  /** Signed in with the admin token. */
  page: Page;
  /** Console errors and failed requests of the page (see watchConsole). */
  problems: string[];
  close: () => Promise<void>;
}

/**
 * `backplane server` as a process on a free port with the admin token (and `args`, `env`), its
 * dashboard, and a Chromium page signed in to it.
 */
export async function serviceWithDashboard(
  token: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<ServiceWithDashboard> {
  ensureDashboardBuilt();
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const service = runBackplane(['server', ...(options.args ?? [])], {
    PORT: String(port),
    BACKPLANE_ADMIN_TOKEN: token,
    LOG_LEVEL: 'warn',
    ...options.env,
  });
  let harness: FastifyInstance | undefined;
  let browser: Browser | undefined;
  try {
    await waitForJson(`${api}/health/live`, 30_000, (_body, status) => status === 200);
    const found = await dashboardFor(api, token);
    harness = found.harness;
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchConsole(page);
    await signInThroughForm(page, found.base, token);
    const opened = browser;
    return {
      api,
      base: found.base,
      browser: opened,
      page,
      problems,
      close: async () => {
        await opened.close();
        await harness?.close();
        await service.stop();
      },
    };
  } catch (error) {
    await browser?.close();
    await harness?.close();
    await service.stop();
    throw error;
  }
}

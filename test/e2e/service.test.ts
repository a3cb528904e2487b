import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { freePort, redisSkipReason, startRedisServer } from 'backplane/testing';
import { runBackplane, waitForJson } from '../helpers/service-process.js';

interface Health {
  status: string;
  checks: Record<string, { status: string; availability?: string }>;
}

describe('backplane server as a process', () => {
  it('starts on the memory backend with no Redis anywhere and serves /health ok', async () => {
    const port = await freePort();
    const service = runBackplane(['server'], { PORT: String(port) });
    try {
      const { body } = await waitForJson<Health>(`http://127.0.0.1:${port}/health`, 10_000, (b) => b.status === 'ok');
      assert.equal(body.checks['redis:cache']?.status, 'ok');
      assert.match(service.output(), /embedded memory backend/);
    } finally {
      assert.equal(await service.stop('SIGTERM'), 0, 'SIGTERM drains and exits 0');
    }
  });

  it('exits 0 on SIGINT too', async () => {
    const port = await freePort();
    const service = runBackplane(['server'], { PORT: String(port) });
    await waitForJson<Health>(`http://127.0.0.1:${port}/health/live`, 10_000, (_b, status) => status === 200);
    assert.equal(await service.stop('SIGINT'), 0);
  });

  it('drains a running job on SIGTERM: logs stopped and exits 0', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const service = runBackplane(['server'], { PORT: String(port), RATE_LIMIT_PER_MINUTE: '0' });
    try {
      const api = `http://127.0.0.1:${port}`;
      await waitForJson(`${api}/health/live`, 10_000, (_b, status) => status === 200);
      // Five 300 ms steps: the job is still running when the signal comes, so the drain waits for it.
      const created = await fetch(`${api}/tasks/demo.render`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ stepMs: 300 }),
      });
      const { id } = (await created.json()) as { id: string };
      await waitForJson<{ state: string }>(
        `${api}/tasks/${encodeURIComponent(id)}`,
        10_000,
        (b) => b.state === 'active',
      );
      // Before the fix the process ended mid-drain with exit code 13 once only unreferenced timers were left.
      assert.equal(await service.stop('SIGTERM'), 0);
      assert.match(service.output(), /"msg":"stopped"/);
    } finally {
      await service.stop('SIGKILL');
    }
  });

  it('exits 1 with one line when the port is taken, instead of hanging', { timeout: 60_000 }, async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const service = runBackplane(['server'], { PORT: String(port), LOG_LEVEL: 'warn' });
    try {
      // Before the fix the failed start left an event reader running on closed jobs, spinning on
      // microtasks: the process never exited.
      assert.equal(await service.exited, 1);
      assert.match(service.output(), /^backplane: listen EADDRINUSE/m);
    } finally {
      await service.stop('SIGKILL');
      taken.close();
    }
  });

  for (const [env, line] of [
    [
      { REDIS_URL: 'nonsense' },
      'backplane: REDIS_URL must be a redis://, rediss://, redis+cluster://, rediss+cluster:// or unix:// URL',
    ],
    [{ PORT: '-1' }, 'backplane: PORT must be a whole number from 0 to 65535'],
    [{ HOST: '0.0.0.0' }, 'backplane: BACKPLANE_ADMIN_TOKEN must be set when HOST (0.0.0.0) is not a loopback address'],
  ] as const) {
    it(`exits 2 with one line for ${JSON.stringify(env)}`, async () => {
      const service = runBackplane(['server'], { ...env });
      assert.equal(await service.exited, 2);
      assert.equal(service.output(), `${line}\n`);
    });
  }

  it('exits 2 for an unknown command, suggesting the likely one, and prints help for --help', async () => {
    const unknown = runBackplane(['serve'], {});
    assert.equal(await unknown.exited, 2);
    assert.equal(
      unknown.output().trim(),
      'backplane: unknown command "serve"; did you mean "backplane server"? run "backplane --help" for the list',
    );
    const sub = runBackplane(['jobs', 'list'], {});
    assert.equal(await sub.exited, 2);
    assert.match(sub.output(), /^backplane: unknown command "jobs list"; did you mean "backplane jobs ls"\?/);
    const help = runBackplane(['--help'], {});
    assert.equal(await help.exited, 0);
    assert.match(help.output(), /Usage: backplane <command>/);
  });
});

describe('backplane server against a password-protected Redis', { skip: redisSkipReason() }, async () => {
  const password = 'e2e-secret-pw-42';
  const redis = redisSkipReason() ? undefined : await startRedisServer({ password });
  after(async () => {
    await redis?.stop();
  });

  it('shows Redis figures without the password, degrades within 5 s when Redis stops, recovers within 5 s', async () => {
    assert.ok(redis);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const service = runBackplane(['server'], { PORT: String(port), REDIS_URL: redis.url, LOG_LEVEL: 'debug' });
    try {
      await waitForJson<Health>(`${base}/health`, 10_000, (b) => b.status === 'ok');
      const statusResponse = await fetch(`${base}/redis/status`);
      const statusText = await statusResponse.text();
      assert.equal(statusResponse.status, 200);
      assert.match(statusText, /"version":"\d/);
      assert.match(statusText, /"usedMemoryBytes":\d+/);
      assert.ok(!statusText.includes(password), 'password in /redis/status');

      await redis.stop();
      const degraded = await waitForJson<Health>(
        `${base}/health`,
        5_000,
        (b, status) => b.status === 'degraded' && status === 200,
      );
      assert.ok(degraded.elapsedMs < 5_000);
      const whileDown = await fetch(`${base}/redis/status`);
      const whileDownText = await whileDown.text();
      assert.equal(whileDown.status, 200);
      assert.ok(!whileDownText.includes(password));

      await redis.start();
      await waitForJson<Health>(`${base}/health`, 5_000, (b) => b.status === 'ok');
    } finally {
      assert.equal(await service.stop('SIGTERM'), 0);
    }
    const output = service.output();
    assert.match(output, /redis cache is down/, 'the outage was logged');
    assert.ok(!output.includes(password), 'password in the logs');
    assert.ok(!output.includes(encodeURIComponent(password)));
  });

  it('starts degraded while Redis is down, then recovers by itself', async () => {
    const redisPort = await freePort();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const service = runBackplane(['server'], {
      PORT: String(port),
      REDIS_URL: `redis://:${password}@127.0.0.1:${redisPort}`,
    });
    try {
      await waitForJson<Health>(`${base}/health`, 10_000, (b) => b.status === 'degraded');
      const late = await startRedisServer({ password, port: redisPort });
      try {
        await waitForJson<Health>(`${base}/health`, 5_000, (b) => b.status === 'ok');
      } finally {
        await late.stop();
      }
    } finally {
      assert.equal(await service.stop('SIGTERM'), 0);
    }
    assert.ok(!service.output().includes(password));
  });
});

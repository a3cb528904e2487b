import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, redisSkipReason, startRedisServer, type RedisServerHandle } from 'backplane/testing';
import { runBackplane, waitForJson, type ServiceProcess } from '../helpers/service-process.js';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const run = runBackplane(args, env);
  const code = await run.exited;
  return { code, output: run.output() };
}

describe('backplane status against a memory-backed server', () => {
  let server: ServiceProcess;
  let url: string;
  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = runBackplane(['server'], { PORT: String(port) });
    await waitForJson(`${url}/health`, 10_000, (_body, status) => status === 200);
  });
  after(async () => {
    await server.stop();
  });

  it('prints a table and exits 0 when everything is ok', async () => {
    const { code, output } = await cli(['status', '--url', url]);
    assert.equal(code, 0, output);
    assert.match(output, /^COMPONENT\s+STATUS\s+DETAIL/m);
    assert.match(output, /^api\s+ok\s+http:\/\/127\.0\.0\.1/m);
    assert.match(output, /^redis:cache\s+ok\s+memory backend/m);
  });

  it('prints JSON with --json', async () => {
    const { code, output } = await cli(['status', '--url', url, '--json']);
    assert.equal(code, 0);
    const parsed = JSON.parse(output) as { health: { status: string } };
    assert.equal(parsed.health.status, 'ok');
  });

  it('finds the server through PORT when --url is not given', async () => {
    const { code } = await cli(['status'], { PORT: new URL(url).port });
    assert.equal(code, 0);
  });
});

describe('backplane status when something is down', () => {
  it('exits 1 with one line when no server answers', async () => {
    const port = await freePort();
    const { code, output } = await cli(['status', '--url', `http://127.0.0.1:${port}`]);
    assert.equal(code, 1);
    assert.match(output, /^backplane: cannot reach backplane at http:\/\/127\.0\.0\.1:\d+ \(connection failed\)/);
    assert.equal(output.trim().split('\n').length, 1);
  });

  it('exits 2 with one line for an unknown option', async () => {
    const { code, output } = await cli(['status', '--verbose']);
    assert.equal(code, 2);
    assert.match(output, /^backplane: Unknown option '--verbose'.*\(run "backplane status --help"\)\n$/);
  });

  it('prints help with --help', async () => {
    const { code, output } = await cli(['status', '--help']);
    assert.equal(code, 0);
    assert.match(output, /^Usage: backplane status/);
  });
});

describe('backplane status against a server whose Redis stopped', { skip: redisSkipReason() }, () => {
  let redis: RedisServerHandle;
  let server: ServiceProcess;
  let url: string;
  before(async () => {
    redis = await startRedisServer({ password: 'status-cli-secret' });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = runBackplane(['server'], { PORT: String(port), REDIS_URL: redis.url });
    await waitForJson<{ status: string }>(`${url}/health`, 10_000, (body) => body.status === 'ok');
  });
  after(async () => {
    await server.stop();
    await redis.stop();
  });

  it('exits 0 while Redis is up and 1 once it is down, naming the broken connection', async () => {
    const up = await cli(['status', '--url', url]);
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /^redis:jobs\s+ok\s+up, ping/m);
    await redis.stop();
    await waitForJson<{ status: string; checks: Record<string, { availability?: string }> }>(
      `${url}/health`,
      6_000,
      (body) => body.status === 'degraded' && body.checks['redis:jobs']?.availability === 'down',
    );
    const down = await cli(['status', '--url', url]);
    assert.equal(down.code, 1);
    assert.match(down.output, /^api\s+degraded/m);
    assert.match(down.output, /^redis:jobs\s+degraded\s+down/m);
    assert.ok(!down.output.includes('status-cli-secret'));
  });
});

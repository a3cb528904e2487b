import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { freePort, redisSkipReason, startRedisServer, type RedisServerHandle } from 'backplane/testing';
import { runBackplane, waitForJson, type ServiceProcess } from '../helpers/service-process.js';

const TASKS = fileURLToPath(new URL('../fixtures/tasks.ts', import.meta.url));

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const run = runBackplane(args, env);
  const code = await run.exited;
  return { code, output: run.output() };
}

describe('backplane jobs against a running server with a TypeScript task module', () => {
  const token = 'cli-jobs-admin-token-123';
  let server: ServiceProcess;
  let env: Record<string, string>;
  before(async () => {
    const port = await freePort();
    server = runBackplane(['server', '--tasks', TASKS], { PORT: String(port), BACKPLANE_ADMIN_TOKEN: token });
    await waitForJson(`http://127.0.0.1:${port}/health`, 15_000, (_body, status) => status === 200);
    env = { PORT: String(port), BACKPLANE_ADMIN_TOKEN: token };
  });
  after(async () => {
    await server.stop();
  });

  it('jobs add --wait draws progress and exits 0 with the result when the job completes', async () => {
    const { code, output } = await cli(
      ['jobs', 'add', 'fixture.sum', '--data', '{"numbers":[1,2,3,4]}', '--wait'],
      env,
    );
    assert.equal(code, 0, output);
    assert.match(output, /\[#+-*\]\s+\d+% added/);
    assert.match(output, /100%/);
    assert.match(output, /^state\s+completed$/m);
    assert.match(output, /^result\s+\{"total":10\}$/m);
  });

  it('jobs add --wait exits 1 when the job fails, and --json prints the job', async () => {
    const { code, output } = await cli(['jobs', 'add', 'fixture.fail', '--wait', '--json'], env);
    assert.equal(code, 1);
    const job = JSON.parse(output.slice(output.indexOf('{'))) as { state: string; error: { message: string } };
    assert.equal(job.state, 'failed');
    assert.equal(job.error.message, 'fixture failure');
  });

  it('jobs add --wait shows the result of a job that completed on a retry, and the earlier error as such', async () => {
    const { code, output } = await cli(['jobs', 'add', 'fixture.second-try', '--wait'], env);
    assert.equal(code, 0, output);
    assert.match(output, /^result\s+\{"attempt":2\}$/m);
    assert.match(output, /^earlier error\s+first try fails$/m);
    assert.doesNotMatch(output, /^error\s/m);
  });

  it('jobs add, get, ls, cancel and wait work together', async () => {
    const added = await cli(['jobs', 'add', 'fixture.sum', '--data', '{"numbers":[1]}', '--delay', '1h'], env);
    assert.equal(added.code, 0, added.output);
    const [id, state] = added.output.trim().split(' ');
    assert.equal(state, 'delayed');
    assert.ok(id);
    const got = await cli(['jobs', 'get', id], env);
    assert.match(got.output, /^state\s+delayed$/m);
    const listed = await cli(['jobs', 'ls', '--state', 'delayed'], env);
    assert.match(listed.output, new RegExp(id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const cancelled = await cli(['jobs', 'cancel', id], env);
    assert.equal(cancelled.output.trim(), `${id} cancelled`);
    const waited = await cli(['jobs', 'wait', id], env);
    assert.equal(waited.code, 3, 'a cancelled job exits 3');
  });

  it('jobs promote runs a delayed job now', async () => {
    const added = await cli(['jobs', 'add', 'fixture.sum', '--data', '{"numbers":[2,3]}', '--delay', '1h'], env);
    const [id] = added.output.trim().split(' ');
    assert.ok(id);
    const promoted = await cli(['jobs', 'promote', id], env);
    assert.equal(promoted.code, 0, promoted.output);
    assert.match(
      promoted.output.trim(),
      new RegExp(`^${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (waiting|active|completed)$`),
    );
    const waited = await cli(['jobs', 'wait', id], env);
    assert.equal(waited.code, 0, waited.output);
    assert.match(waited.output, /^result\s+\{"total":5\}$/m);
    const again = await cli(['jobs', 'promote', id], env);
    assert.equal(again.code, 1);
    assert.match(again.output, /^backplane: E_JOB_STATE: /);
  });

  it("jobs logs prints a job's own log, pages it, and names a bad option", async () => {
    const added = await cli(['jobs', 'add', 'fixture.sum', '--data', '{"numbers":[1,2,3]}'], env);
    const [id] = added.output.trim().split(' ');
    assert.ok(id, added.output);
    assert.equal((await cli(['jobs', 'wait', id], env)).code, 0);
    const all = await cli(['jobs', 'logs', id], env);
    assert.equal(all.code, 0, all.output);
    const lines = all.output.trim().split('\n');
    assert.equal(lines.length, 3, all.output);
    lines.forEach((line, index) =>
      assert.match(
        line,
        new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z info  #1 added ${index + 1} \\{"value":${index + 1}\\}$`),
      ),
    );
    const page = await cli(['jobs', 'logs', id, '--offset', '1', '--limit', '1'], env);
    assert.match(page.output, /#1 added 2 /);
    assert.match(page.output, /^more: --offset 2 \(3 lines in all\)$/m);
    const json = await cli(['jobs', 'logs', id, '--json'], env);
    assert.equal((JSON.parse(json.output) as { total: number }).total, 3);
    const bad = await cli(['jobs', 'logs', id, '--limit', '0'], env);
    assert.equal(bad.code, 2);
    assert.equal(bad.output.trim(), 'backplane: --limit must be a whole number from 1 to 1000 (got 0)');
    const missing = await cli(['jobs', 'logs', 'default:nope'], env);
    assert.notEqual(missing.code, 0);
    assert.equal(missing.output.trim().split('\n').length, 1, missing.output);
  });

  it('jobs history prints what happened to a job, oldest first, and says what the limit left out', async () => {
    const added = await cli(['jobs', 'add', 'fixture.second-try'], env);
    const [id] = added.output.trim().split(' ');
    assert.ok(id, added.output);
    assert.equal((await cli(['jobs', 'wait', id], env)).code, 0);
    const all = await cli(['jobs', 'history', id], env);
    assert.equal(all.code, 0, all.output);
    const lines = all.output.trim().split('\n');
    assert.deepEqual(
      lines.map((line) => line.split(/\s+/)[1]),
      ['waiting', 'active', 'retrying', 'active', 'completed'],
      all.output,
    );
    assert.match(lines[0] ?? '', /^\d{4}-\d\d-\d\dT\S+Z waiting$/);
    assert.match(lines[4] ?? '', /completed\s+\{"attempt":2\}$/);
    const newest = await cli(['jobs', 'history', id, '--limit', '1'], env);
    assert.equal(newest.code, 0);
    assert.match(newest.output, /completed/);
    assert.match(newest.output, /^\(older events left out: raise --limit \(up to 1000\)\)$/m);
    const json = await cli(['jobs', 'history', id, '--json'], env);
    assert.equal((JSON.parse(json.output) as { complete: boolean }).complete, true);
    const missing = await cli(['jobs', 'history', 'default:nope'], env);
    assert.notEqual(missing.code, 0);
    assert.equal(missing.output.trim(), 'backplane: E_JOB_NOT_FOUND: no job default:nope');
  });

  it('jobs tasks lists the tasks the server can enqueue, from its task module', async () => {
    const listed = await cli(['jobs', 'tasks'], env);
    assert.equal(listed.code, 0, listed.output);
    const lines = listed.output.trim().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+QUEUE\s+ATTEMPTS\s+PRIORITY\s+TIMEOUT\s+PAYLOAD$/);
    assert.ok(
      lines.some((line) => /^fixture\.second-try\s+default\s+2\s+0\s/.test(line)),
      listed.output,
    );
    const json = await cli(['jobs', 'tasks', '--json'], env);
    const names = (JSON.parse(json.output) as { tasks: Array<{ name: string }> }).tasks.map((task) => task.name);
    assert.ok(names.includes('fixture.sum'), names.join(' '));
  });

  it('jobs logs --follow prints the lines as they come and exits with the outcome', async () => {
    const numbers = [1, 2, 3, 4, 5, 6, 7, 8];
    const added = await cli(['jobs', 'add', 'fixture.sum', '--data', JSON.stringify({ numbers })], env);
    const [id] = added.output.trim().split(' ');
    assert.ok(id, added.output);
    // Started while the job runs (8 steps of 50 ms), so most lines arrive while it follows.
    const followed = await cli(['jobs', 'logs', id, '--follow'], env);
    assert.equal(followed.code, 0, followed.output);
    assert.deepEqual(
      followed.output
        .trim()
        .split('\n')
        .map((line) => line.replace(/^\S+ info  #1 /, '')),
      numbers.map((n) => `added ${n} {"value":${n}}`),
    );
    const failed = await cli(['jobs', 'add', 'fixture.fail'], env);
    const [failedId] = failed.output.trim().split(' ');
    assert.ok(failedId, failed.output);
    const outcome = await cli(['jobs', 'logs', failedId, '--follow'], env);
    assert.equal(outcome.code, 1, outcome.output);
    const both = await cli(['jobs', 'logs', failedId, '--follow', '--json'], env);
    assert.equal(both.code, 2);
    assert.equal(both.output.trim(), 'backplane: --follow prints lines as they come; leave out --json');
  });

  it('jobs retry-all and remove-all act on every failed job of a task, and name a bad --state', async () => {
    const clear = await cli(['jobs', 'remove-all', '--state', 'failed', '--name', 'fixture.fail'], env);
    assert.equal(clear.code, 0, clear.output);
    const ids: string[] = [];
    for (let n = 0; n < 2; n++) {
      const { output } = await cli(['jobs', 'add', 'fixture.fail', '--wait', '--json'], env);
      ids.push((JSON.parse(output.slice(output.indexOf('{'))) as { id: string }).id);
    }
    const retried = await cli(['jobs', 'retry-all', '--name', 'fixture.fail'], env);
    assert.equal(retried.code, 0, retried.output);
    assert.equal(retried.output.trim(), '2 failed jobs of default waiting again');
    for (const id of ids) assert.equal((await cli(['jobs', 'wait', id], env)).code, 1, 'it ran, and failed, again');
    const removed = await cli(['jobs', 'remove-all', '--state', 'failed', '--name', 'fixture.fail', '--json'], env);
    assert.deepEqual(JSON.parse(removed.output), { queue: 'default', state: 'failed', removed: 2 });
    for (const args of [
      ['jobs', 'remove-all'],
      ['jobs', 'remove-all', '--state', 'active'],
      ['jobs', 'retry-all', '--state', 'completed'],
    ]) {
      const bad = await cli(args, env);
      assert.equal(bad.code, 2, args.join(' '));
      assert.match(bad.output, /--state must be/);
      assert.equal(bad.output.trim().split('\n').length, 1);
    }
  });

  it('refuses without the token, with one line', async () => {
    const { code, output } = await cli(['jobs', 'add', 'fixture.sum', '--data', '{}'], { PORT: env.PORT ?? '' });
    assert.equal(code, 1);
    assert.match(output, /^backplane: E_UNAUTHORIZED: /);
    assert.equal(output.trim().split('\n').length, 1);
  });

  it('names what to fix for an unknown task, bad JSON and a missing id', async () => {
    const unknown = await cli(['jobs', 'add', 'nope'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.output, /^backplane: E_TASK_UNKNOWN: no task named "nope"/);
    const badJson = await cli(['jobs', 'add', 'fixture.sum', '--data', '{oops'], env);
    assert.equal(badJson.code, 2);
    assert.match(badJson.output, /--data must be JSON/);
    const missing = await cli(['jobs', 'get'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.output, /missing job id/);
  });

  it('cache stats prints a table and cache clear needs no more than the token', async () => {
    const stats = await cli(['cache', 'stats'], env);
    assert.equal(stats.code, 0, stats.output);
    assert.match(stats.output, /^hit rate\s+/m);
    const cleared = await cli(['cache', 'clear', '--namespace', 'chat'], env);
    assert.equal(cleared.code, 0, cleared.output);
    assert.equal(cleared.output.trim(), 'cleared namespace chat');
  });
});

describe('backplane worker process against Redis', { skip: redisSkipReason() }, () => {
  let redis: RedisServerHandle;
  let server: ServiceProcess;
  let worker: ServiceProcess | undefined;
  let env: Record<string, string>;
  before(async () => {
    redis = await startRedisServer();
    const port = await freePort();
    env = { PORT: String(port), REDIS_URL: redis.url };
    // The server runs no jobs itself; a separate worker process does.
    server = runBackplane(['server', '--tasks', TASKS], { ...env, WORKER_CONCURRENCY: '0' });
    await waitForJson(`http://127.0.0.1:${port}/health`, 15_000, (_body, status) => status === 200);
  });
  after(async () => {
    await worker?.stop();
    await server.stop();
    await redis.stop();
  });

  it('runs the jobs the server enqueued, shows up in status, and exits 0 on SIGTERM', async () => {
    worker = runBackplane(['worker', '--tasks', TASKS, '--concurrency', '3'], env);
    await waitForJson<{ workers: unknown[] }>(
      `http://127.0.0.1:${env.PORT}/workers`,
      15_000,
      (body) => body.workers.length === 1,
    );
    const status = await cli(['status'], env);
    assert.match(status.output, /^workers\s+ok\s+1 active/m);
    const { code, output } = await cli(['jobs', 'add', 'fixture.sum', '--data', '{"numbers":[5,6]}', '--wait'], env);
    assert.equal(code, 0, output);
    assert.match(output, /^result\s+\{"total":11\}$/m);
    assert.equal(await worker.stop('SIGTERM'), 0);
  });

  it('refuses to start on the memory backend, with one line', async () => {
    const { code, output } = await cli(['worker'], {});
    assert.equal(code, 2);
    assert.match(output, /^backplane: backplane worker needs REDIS_URL or JOBS_REDIS_URL/);
  });
});

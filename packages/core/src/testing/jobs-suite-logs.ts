import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { JobLogLine } from '../jobs/job-log.js';
import type { JobContext } from '../jobs/tasks.js';
import { until, type JobsSuiteHarness } from './jobs-suite-harness.js';

const shape = (lines: readonly JobLogLine[] | undefined): string[] =>
  (lines ?? []).map((line) => `${line.attempt} ${line.level} ${line.message}`);

/** A job's own log: what `ctx.log` writes is kept with the job, bounded, and goes with it. */
export function logTests({ open, queue, start }: JobsSuiteHarness): void {
  it("keeps a job's ctx.log lines with the job, across attempts, from the configured level up", async () => {
    const jobs = await open();
    const q = queue();
    jobs.defineTask(
      'chatty',
      async (n: number, ctx) => {
        ctx.log.info('step %d of %s', n, 'three');
        ctx.log.debug('not kept: below the level');
        ctx.log.info({ rows: 3, token: 'tk-secret', nested: { password: 'pw-secret' } }, 'with fields');
        ctx.log.child({ part: 'upload' }).warn('from a child logger');
        if (ctx.attempt === 1) throw new Error('first attempt fails');
        ctx.log.error(new Error('an error object'));
        return 'ok';
      },
      { queue: q, attempts: 2, backoff: { type: 'fixed', delay: 0 } },
    );
    await start(jobs, { queues: [q] });
    const started = Date.now();
    const id = await jobs.enqueue('chatty', 7);
    assert.equal(await jobs.waitForResult(id, { timeout: 5000 }), 'ok');
    const page = await jobs.getLogs(id);
    assert.ok(page);
    assert.deepEqual(shape(page.lines), [
      '1 info step 7 of three',
      '1 info with fields',
      '1 warn from a child logger',
      '2 info step 7 of three',
      '2 info with fields',
      '2 warn from a child logger',
      '2 error an error object',
    ]);
    assert.equal(page.total, 7);
    assert.equal(page.offset, 0);
    const withFields = page.lines[1] as JobLogLine;
    assert.deepEqual(withFields.fields, { rows: 3, token: '***', nested: { password: '***' } });
    assert.ok(withFields.time >= started && withFields.time <= Date.now());
    assert.equal((page.lines[6] as JobLogLine).fields?.message, 'an error object');
    assert.doesNotMatch(JSON.stringify(page), /secret/);

    const verbose = await open({ jobLogs: { level: 'debug' } });
    const v = queue();
    verbose.defineTask('chatty', async (_: null, ctx) => ctx.log.debug('kept at debug'), { queue: v });
    await start(verbose, { queues: [v] });
    const debugged = await verbose.enqueue('chatty', null);
    await verbose.waitForResult(debugged, { timeout: 5000 });
    assert.deepEqual(shape((await verbose.getLogs(debugged))?.lines), ['1 debug kept at debug']);
  });

  it('keeps the newest lines, pages through them, and checks its arguments', async () => {
    const jobs = await open({ jobLogs: { keep: 5 } });
    const q = queue();
    jobs.defineTask(
      'loop',
      async (count: number, ctx) => {
        // Lines from one tick and from later ticks are kept alike.
        for (let i = 0; i < count; i++) {
          ctx.log.info(`line ${i}`);
          if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      },
      { queue: q },
    );
    await start(jobs, { queues: [q] });
    const id = await jobs.enqueue('loop', 8);
    await jobs.waitForResult(id, { timeout: 5000 });
    const all = await jobs.getLogs(id);
    assert.deepEqual(
      all?.lines.map((line) => line.message),
      ['line 3', 'line 4', 'line 5', 'line 6', 'line 7'],
    );
    assert.equal(all?.total, 5);
    const middle = await jobs.getLogs(id, { offset: 2, limit: 2 });
    assert.deepEqual(
      middle?.lines.map((line) => line.message),
      ['line 5', 'line 6'],
    );
    assert.deepEqual(await jobs.getLogs(id, { offset: 9 }), { lines: [], total: 5, offset: 9 });

    const quiet = await jobs.enqueue('loop', 0);
    await jobs.waitForResult(quiet, { timeout: 5000 });
    assert.deepEqual(await jobs.getLogs(quiet), { lines: [], total: 0, offset: 0 });
    assert.equal(await jobs.getLogs(`${q}:no-such-job`), undefined);

    for (const [options, argument] of [
      [{ offset: -1 }, 'offset'],
      [{ offset: 1.5 }, 'offset'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 1001 }, 'limit'],
    ] as const) {
      await assert.rejects(jobs.getLogs(id, options), (error: { code?: string; argument?: string }) => {
        assert.equal(error.code, 'E_INVALID_ARGUMENT');
        assert.equal(error.argument, argument);
        return true;
      });
    }
    await assert.rejects(jobs.getLogs('no-queue-in-this-id'), { code: 'E_JOB_NOT_FOUND' });
    for (const [jobLogs, argument] of [
      [{ keep: -1 }, 'jobLogs.keep'],
      [{ keep: 10_001 }, 'jobLogs.keep'],
      [{ level: 'loud' }, 'jobLogs.level'],
    ] as const) {
      await assert.rejects(open({ jobLogs: jobLogs as never }), { code: 'E_INVALID_ARGUMENT', details: { argument } });
    }

    const off = await open({ jobLogs: { keep: 0 } });
    const o = queue();
    off.defineTask('loop', async (_: null, ctx) => ctx.log.info('not kept'), { queue: o });
    await start(off, { queues: [o] });
    const unlogged = await off.enqueue('loop', null);
    await off.waitForResult(unlogged, { timeout: 5000 });
    assert.deepEqual(await off.getLogs(unlogged), { lines: [], total: 0, offset: 0 });
  });

  it("lets a task keep less, or more, of its jobs' logs than the instance does", async () => {
    const jobs = await open({ jobLogs: { keep: 3 } });
    const q = queue();
    const chatter = async (_: null, ctx: JobContext) => {
      for (let i = 0; i < 4; i++) ctx.log.debug(`debug ${i}`);
      for (let i = 0; i < 4; i++) ctx.log.info(`info ${i}`);
      ctx.log.warn('warn');
    };
    jobs.defineTask('default', chatter, { queue: q });
    jobs.defineTask('silent', chatter, { queue: q, logs: { keep: 0 } });
    jobs.defineTask('problems', chatter, { queue: q, logs: { level: 'warn' } });
    jobs.defineTask('verbose', chatter, { queue: q, logs: { keep: 20, level: 'debug' } });
    await start(jobs, { queues: [q] });
    const messages = async (task: string): Promise<string[] | undefined> => {
      const id = await jobs.enqueue(task, null);
      await jobs.waitForResult(id, { timeout: 5000 });
      return (await jobs.getLogs(id))?.lines.map((line) => line.message);
    };
    assert.deepEqual(await messages('default'), ['info 2', 'info 3', 'warn']);
    assert.deepEqual(await messages('silent'), []);
    assert.deepEqual(await messages('problems'), ['warn']);
    assert.equal((await messages('verbose'))?.length, 9);
    for (const [logs, argument] of [
      [{ keep: 1.5 }, 'defaults.logs.keep'],
      [{ level: 'chatty' }, 'defaults.logs.level'],
    ] as const) {
      assert.throws(() => jobs.defineTask('bad', chatter, { queue: q, logs: logs as never }), {
        code: 'E_INVALID_ARGUMENT',
        details: { argument },
      });
    }
  });

  it("drops a job's log with the job, and keeps no line from a worker that lost the lease", async () => {
    const jobs = await open({ retention: { completed: { count: 1 } } });
    const q = queue();
    jobs.defineTask('logs', async (n: number, ctx) => ctx.log.info(`job ${n}`), { queue: q });
    const first = await jobs.enqueue('logs', 1);
    // Not running yet: its lease token is nobody's, so nothing is appended.
    const { localId } = { localId: first.slice(first.lastIndexOf(':') + 1) };
    assert.equal(await jobs.store.appendLogs(q, localId, 'not-the-lease', ['{"m":"x"}'], 10), false);
    await start(jobs, { queues: [q] });
    await jobs.waitForResult(first, { timeout: 5000 });
    assert.deepEqual(shape((await jobs.getLogs(first))?.lines), ['1 info job 1']);
    // Keeping one completed job: the second completion removes the first, with its log.
    const second = await jobs.enqueue('logs', 2);
    await jobs.waitForResult(second, { timeout: 5000 });
    await until(async () => (await jobs.getLogs(first)) === undefined, 5000, 'first job removed');
    assert.deepEqual(shape((await jobs.getLogs(second))?.lines), ['1 info job 2']);
    await jobs.remove(second);
    assert.equal(await jobs.getLogs(second), undefined);
  });
}

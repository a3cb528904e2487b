import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../logger.js';
import type { RedisConnection } from '../redis/connection.js';
import { privateRedisConnection } from '../testing/private-redis-connection.js';
import { redisSkipReason } from '../testing/redis-server.js';
import { formatLogLine, parseLogLine, recordingLogger, type JobLogLevel } from './job-log.js';
import { createJobs } from './jobs.js';

describe('job log lines', () => {
  it('keeps what the process log would print, and the process log is unchanged', () => {
    const destination = new PassThrough();
    const printed: string[] = [];
    destination.on('data', (chunk: Buffer) => printed.push(...chunk.toString().trim().split('\n')));
    const kept: Array<[JobLogLevel, readonly unknown[]]> = [];
    const log = recordingLogger(createLogger({ level: 'warn', destination }), 'info', (level, args) =>
      kept.push([level, args]),
    );
    log.info('kept, not printed');
    log.warn({ password: 'pw' }, 'kept and printed');
    log.debug('neither');
    assert.deepEqual(
      kept.map(([level]) => level),
      ['info', 'warn'],
    );
    assert.equal(printed.length, 1);
    const line = JSON.parse(printed[0] ?? '{}') as { msg: string; level: number; password: string };
    assert.equal(line.msg, 'kept and printed');
    assert.equal(line.password, '***');
    assert.equal(log.isLevelEnabled('warn'), true);
    assert.equal(log.level, 'warn');
  });

  it('formats pino-style calls, masks credentials, bounds sizes and survives cycles', () => {
    const at = 1_700_000_000_000;
    const read = (level: JobLogLevel, ...args: unknown[]) => parseLogLine(formatLogLine(level, args, 2, at));
    assert.deepEqual(read('info', 'a %s b %d', 'x', 3), { time: at, level: 'info', message: 'a x b 3', attempt: 2 });
    assert.deepEqual(read('warn', { Authorization: 'Bearer t', list: [{ token: 't' }] }, 'm'), {
      time: at,
      level: 'warn',
      message: 'm',
      attempt: 2,
      fields: { Authorization: '***', list: [{ token: '***' }] },
    });
    const error = Object.assign(new Error('boom'), { code: 'E_X' });
    assert.deepEqual(read('error', error), {
      time: at,
      level: 'error',
      message: 'boom',
      attempt: 2,
      fields: { message: 'boom', code: 'E_X' },
    });
    assert.equal(read('info', 'x'.repeat(5000)).message.length, 2001);
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    const deep = read('info', cycle, 'cyclic');
    assert.equal(deep.message, 'cyclic');
    assert.ok(deep.fields, 'the fields are kept, the cycle cut');
    assert.deepEqual(read('info', { blob: 'y'.repeat(5000) }, 'big').fields, {
      note: 'fields left out (too large or not JSON)',
    });
    assert.deepEqual(parseLogLine('not json'), { time: 0, level: 'info', message: 'not json', attempt: 0 });
  });
});

describe('job logs on Redis', { skip: redisSkipReason() }, () => {
  let connection: RedisConnection;
  privateRedisConnection((opened) => (connection = opened));

  const logKeys = (queue: string): Promise<string[]> => connection.client.keys(`logtest:j:{${queue}}:l:*`);

  it("keeps a job's lines in order, and before its outcome, when Redis has lost the scripts", async () => {
    const jobs = createJobs({ connection, keyPrefix: 'logtest' });
    try {
      jobs.defineTask(
        'ticks',
        async (count: number, ctx) => {
          for (let i = 0; i < count; i++) {
            ctx.log.info(`line ${i}`);
            await new Promise((resolve) => setImmediate(resolve));
          }
          ctx.log.info('last');
        },
        { queue: 'ordered' },
      );
      const worker = jobs.createWorker({ queues: ['ordered'] });
      await worker.start();
      for (let round = 0; round < 3; round++) {
        // Every script call is then answered NOSCRIPT and sent again with its source.
        await connection.client.script('FLUSH');
        const id = await jobs.enqueue('ticks', 20);
        await jobs.waitForResult(id, { timeout: 5000 });
        const page = await jobs.getLogs(id);
        assert.deepEqual(
          page?.lines.map((line) => line.message),
          [...Array.from({ length: 20 }, (_, i) => `line ${i}`), 'last'],
        );
      }
      await worker.close();
    } finally {
      await jobs.close();
    }
  });

  it('a log goes with its job: retention, removal and bulk removal leave no list behind', async () => {
    const jobs = createJobs({ connection, keyPrefix: 'logtest', retention: { completed: { count: 0 } } });
    const kept = createJobs({ connection, keyPrefix: 'logtest' });
    try {
      for (const instance of [jobs, kept]) {
        instance.defineTask('logs', async (n: number, ctx) => ctx.log.info(`job ${n}`), { queue: 'logs' });
      }
      const worker = jobs.createWorker({ queues: ['logs'] });
      await worker.start();
      const gone = await jobs.enqueue('logs', 1);
      await jobs.waitForResult(gone, { timeout: 5000 });
      // Retention none: the job went at its completion, and its log with it.
      assert.equal(await jobs.getJob(gone), undefined);
      assert.deepEqual(await logKeys('logs'), []);
      await worker.close();

      const keptWorker = kept.createWorker({ queues: ['logs'] });
      await keptWorker.start();
      const ids = [await kept.enqueue('logs', 2), await kept.enqueue('logs', 3), await kept.enqueue('logs', 4)];
      for (const id of ids) await kept.waitForResult(id, { timeout: 5000 });
      assert.equal((await logKeys('logs')).length, 3);
      await kept.remove(ids[0] as string);
      assert.equal((await logKeys('logs')).length, 2);
      assert.equal(await kept.removeJobs('logs', { state: 'completed' }), 2);
      assert.deepEqual(await logKeys('logs'), []);
      await keptWorker.close();
    } finally {
      await jobs.close();
      await kept.close();
    }
  });
});

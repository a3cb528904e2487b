import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { backoffDelay, buildJob, toRetentionRule } from './options.js';

describe('jobs options', () => {
  it('computes fixed and exponential backoff, with jitter taking up to its share off', () => {
    const fixed = JSON.stringify({ type: 'fixed', delay: 1000 });
    assert.equal(backoffDelay(fixed, 1), 1000);
    assert.equal(backoffDelay(fixed, 5), 1000);
    const exponential = JSON.stringify({ type: 'exponential', delay: 100 });
    assert.deepEqual(
      [1, 2, 3, 4].map((attempt) => backoffDelay(exponential, attempt)),
      [100, 200, 400, 800],
    );
    const jittered = JSON.stringify({ type: 'exponential', delay: 1000, jitter: 0.5 });
    assert.equal(
      backoffDelay(jittered, 1, () => 0),
      1000,
    );
    assert.equal(
      backoffDelay(jittered, 1, () => 1),
      500,
    );
    assert.equal(backoffDelay('', 3), 0);
  });

  it("resolves a job's own retention per outcome over the task's default", () => {
    const built = (options: object, defaults: object = {}) => buildJob('t', null, options, defaults, 'id').job;
    assert.equal(built({}).keepCompletedMs, undefined);
    assert.equal(built({ retention: { completed: '2h' } }).keepCompletedMs, 7_200_000);
    assert.equal(built({ retention: { failed: 'forever' } }).keepFailedMs, -1);
    const mixed = built({ retention: { completed: 0 } }, { retention: { completed: '1h', failed: '1d' } });
    assert.equal(mixed.keepCompletedMs, 0);
    assert.equal(mixed.keepFailedMs, 86_400_000);
    assert.throws(() => built({ retention: { completed: -1 } }), /options\.retention\.completed/);
  });

  it('turns retention options into age and count rules', () => {
    assert.deepEqual(toRetentionRule(undefined, 5, 'r'), { ageMs: 5, keep: -1 });
    assert.deepEqual(toRetentionRule('2h', 5, 'r'), { ageMs: 7_200_000, keep: -1 });
    assert.deepEqual(toRetentionRule({ count: 0 }, 5, 'r'), { ageMs: 0, keep: 0 });
    assert.deepEqual(toRetentionRule({ age: '1s', count: 10 }, 5, 'r'), { ageMs: 1000, keep: 10 });
    assert.throws(() => toRetentionRule({ count: -1 }, 5, 'retention.completed'), /retention\.completed\.count/);
  });

  it('validates every option and names it; stores only what differs from the defaults', () => {
    const { queue, job } = buildJob('t', { a: 1 }, { delay: '2s', priority: 3, group: 'g' }, { attempts: 4 }, 'id1');
    assert.equal(queue, 'default');
    assert.equal(job.delayMs, 2000);
    assert.equal(job.maxAttempts, 4);
    assert.equal(job.data, '{"a":1}');
    const bad: Array<[object, RegExp]> = [
      [{ delay: -1 }, /options\.delay/],
      [{ delay: 'soon' }, /options\.delay/],
      [{ priority: 1.5 }, /options\.priority/],
      [{ attempts: 1001 }, /options\.attempts/],
      [{ backoff: { type: 'linear', delay: 1 } }, /options\.backoff\.type/],
      [{ backoff: { type: 'fixed', delay: 1, jitter: 2 } }, /options\.backoff\.jitter/],
      [{ timeout: -5 }, /options\.timeout/],
      [{ runAt: 'tomorrow' }, /options\.runAt/],
      [{ delay: 1, runAt: Date.now() }, /options\.runAt/],
      [{ idempotencyKey: '' }, /options\.idempotencyKey/],
      [{ group: 5 }, /options\.group/],
      [{ queue: 'has space' }, /options\.queue/],
    ];
    for (const [options, message] of bad) {
      assert.throws(() => buildJob('t', null, options, {}, 'id'), message, JSON.stringify(options));
    }
  });

  it('says in one line which fields a schema refused, naming each by its path', () => {
    const schema = z.object({ width: z.number().int().positive(), name: z.string(), tags: z.array(z.string()) });
    assert.throws(
      () => buildJob('img.resize', { width: -1, tags: ['a', 2] }, {}, { schema }, 'id'),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'E_INVALID_PAYLOAD');
        assert.doesNotMatch(error.message, /\n/);
        assert.match(error.message, /^data does not match the schema of task img\.resize: /);
        assert.match(error.message, /data\.width: [^;]+/);
        assert.match(error.message, /data\.name: [^;]+/);
        assert.match(error.message, /data\.tags\.1: [^;]+/);
        return true;
      },
    );
    const plain = {
      parse: () => {
        throw new Error('not a png\nat line 2');
      },
    };
    assert.throws(() => buildJob('img.resize', 1, {}, { schema: plain }, 'id'), /: not a png$/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Running } from './attempt.js';
import { JobLogWriter } from './job-log-writer.js';
import type { JobStore } from './store.js';

/** A running job as the worker tracks it, with only what the writer reads. */
const running = (localId: string): Running =>
  ({
    queue: 'q',
    job: { localId, token: 't' },
    logLines: undefined,
    logWrite: undefined,
    logKeep: 3,
  }) as unknown as Running;

describe('JobLogWriter', () => {
  it("sends a job's lines in order, one call at a time, keeping the newest while one is in flight", async () => {
    const calls: string[][] = [];
    let release: () => void = () => undefined;
    const store = {
      appendLogs: async (_queue: string, _id: string, _token: string, lines: readonly string[]) => {
        calls.push([...lines]);
        if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return true;
      },
    } as unknown as JobStore;
    const writer = new JobLogWriter(store, () => undefined);
    const entry = running('a');
    writer.record(entry, 'one');
    await new Promise((resolve) => process.nextTick(resolve));
    // The first call is in flight: these wait, and only the newest three (logKeep) are kept.
    for (const line of ['two', 'three', 'four', 'five']) writer.record(entry, line);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, [['one']]);
    release();
    await writer.written(entry);
    assert.deepEqual(calls, [['one'], ['three', 'four', 'five']]);
    assert.equal(entry.logWrite, undefined);
  });

  it('warns once a while when writes fail, counting the ones it did not warn of', async () => {
    const store = {
      appendLogs: async () => {
        throw new Error('E_REDIS_UNAVAILABLE');
      },
    } as unknown as JobStore;
    const warnings: string[] = [];
    const writer = new JobLogWriter(store, (_error, message) => warnings.push(message), 60_000);
    for (let i = 0; i < 20; i++) {
      const entry = running(`job-${i}`);
      writer.record(entry, 'line');
      await writer.written(entry);
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /1 writes since the last warning/);
    const every = new JobLogWriter(store, (_error, message) => warnings.push(message), 0);
    for (let i = 0; i < 3; i++) {
      const entry = running(`job-${i}`);
      every.record(entry, 'line');
      await every.written(entry);
    }
    assert.equal(warnings.length, 4);
  });
});

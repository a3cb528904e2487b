import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveWorkerOptions, type WorkerOptions } from './worker-options.js';

describe('worker options', () => {
  it('fills in the defaults', () => {
    const settings = resolveWorkerOptions({});
    assert.deepEqual(settings.queues, ['default']);
    assert.equal(settings.concurrency, 10);
    assert.equal(settings.leaseMs, 30_000);
    assert.equal(settings.heartbeatMs, 10_000);
    assert.equal(settings.maintenanceMs, 5000);
    assert.equal(settings.idleWaitMs, 5000);
    assert.equal(settings.prefetch, 'auto');
    // The shortest lease allowed still gets a heartbeat of its own third.
    assert.equal(resolveWorkerOptions({ lease: 100 }).heartbeatMs, 33);
    assert.equal(resolveWorkerOptions({ lease: '1s', heartbeat: '200ms' }).heartbeatMs, 200);
  });

  it('refuses values it would otherwise have to change, naming the option', () => {
    const cases: Array<[WorkerOptions, string, RegExp]> = [
      [{ lease: 50 }, 'lease', /at least 100 ms/],
      [{ lease: '10ms' }, 'lease', /at least 100 ms/],
      [{ heartbeat: 5 }, 'heartbeat', /at least 20 ms/],
      [{ lease: 1000, heartbeat: 1000 }, 'heartbeat', /shorter than the lease \(1000 ms\)/],
      [{ lease: 1000, heartbeat: '2s' }, 'heartbeat', /shorter than the lease/],
      [{ maintenance: 10 }, 'maintenance', /at least 50 ms/],
      [{ idleWait: 0 }, 'idleWait', /at least 10 ms/],
      [{ rateLimit: { max: 5, duration: 0 } }, 'rateLimit.duration', /at least 1 ms/],
      [{ rateLimit: { max: 0, duration: 1000 } }, 'rateLimit.max', /integer of 1 or more/],
      [{ concurrency: 0 }, 'concurrency', /integer of 1 or more/],
      [{ prefetch: -1 }, 'prefetch', /'auto' or an integer/],
      [{ queues: [] }, 'queues', /at least one queue/],
    ];
    for (const [options, argument, message] of cases) {
      assert.throws(
        () => resolveWorkerOptions(options),
        (error: { code?: string; argument?: string; message?: string }) => {
          assert.equal(error.code, 'E_INVALID_ARGUMENT', JSON.stringify(options));
          assert.equal(error.argument, argument, JSON.stringify(options));
          assert.match(error.message ?? '', message);
          return true;
        },
      );
    }
  });
});

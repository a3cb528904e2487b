import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILT_IN_DEFAULTS, resolveEntryOptions, ttlFor } from './options.js';

describe('cache entry options', () => {
  it('parses durations and layers options over defaults', () => {
    const base = resolveEntryOptions(BUILT_IN_DEFAULTS, { ttl: '30s', stale: '1m', tags: ['a'] });
    const layered = resolveEntryOptions(base, { staleIfError: '1h', leaseTtl: '2s' });
    assert.equal(layered.ttl, 30_000);
    assert.equal(layered.stale, 60_000);
    assert.equal(layered.staleIfError, 3_600_000);
    assert.deepEqual(layered.tags, ['a']);
    assert.equal(layered.leaseTtl, 2_000);
    assert.equal(layered.leaseWait, 2_000, 'the wait follows the lease ttl unless given');
  });

  it('jitter shortens the ttl by up to its fraction, never lengthens it', () => {
    const options = resolveEntryOptions(BUILT_IN_DEFAULTS, { ttl: 1_000, jitter: 0.2 });
    assert.equal(
      ttlFor(options, null, () => 0),
      1_000,
    );
    assert.equal(
      ttlFor(options, null, () => 1),
      800,
    );
    assert.equal(
      ttlFor(options, null, () => 0.5),
      900,
    );
  });

  it('computes the ttl from the value', () => {
    const options = resolveEntryOptions(BUILT_IN_DEFAULTS, {
      ttl: (job: unknown) => ((job as { done: boolean }).done ? '1h' : '2s'),
    });
    assert.equal(ttlFor(options, { done: false }), 2_000);
    assert.equal(ttlFor(options, { done: true }), 3_600_000);
  });
});

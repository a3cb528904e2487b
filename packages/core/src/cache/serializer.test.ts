import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEntry, encodeEntry, readTimes, withTimes } from './serializer.js';

const times = { freshUntil: 1_000, staleUntil: 2_000, errorUntil: 3_000 };
const roundTrip = (value: unknown, compressAbove = Number.POSITIVE_INFINITY): unknown =>
  decodeEntry(encodeEntry(value, times, compressAbove, 'value').bytes).value;

describe('cache serializer', () => {
  it('round-trips Date, Map, Set, BigInt, Buffer and nested objects', () => {
    const value = {
      at: new Date('2024-05-01T10:00:00.123Z'),
      byId: new Map<unknown, unknown>([
        [1, 'one'],
        ['k', { deep: [1, 2] }],
      ]),
      ids: new Set(['a', 'b']),
      small: 42n,
      huge: 2n ** 100n,
      bytes: Buffer.from([0, 1, 255]),
      list: [{ a: 1 }, { a: 2, b: 'x' }],
      text: 'ünïcødé 🙂',
    };
    const back = roundTrip(value) as typeof value;
    assert.deepEqual(back, value);
    assert.ok(back.at instanceof Date);
    assert.ok(back.byId instanceof Map && !(back.list[0] instanceof Map), 'objects stay objects, Maps stay Maps');
    assert.ok(Buffer.isBuffer(back.bytes));
  });

  it('keeps undefined apart from null, at top level and inside', () => {
    assert.equal(roundTrip(undefined), undefined);
    assert.equal(roundTrip(null), null);
    const back = roundTrip({ u: undefined, n: null, arr: [undefined, null] }) as Record<string, unknown>;
    assert.ok('u' in back);
    assert.equal(back.u, undefined);
    assert.equal(back.n, null);
    assert.deepEqual(back.arr, [undefined, null]);
  });

  it('compresses bodies over the threshold and reads them back', () => {
    const value = { text: 'abc'.repeat(10_000) };
    const plain = encodeEntry(value, times, Number.POSITIVE_INFINITY, 'value');
    const packed = encodeEntry(value, times, 1_024, 'value');
    assert.ok(packed.bytes.byteLength < plain.bytes.byteLength / 10, `${packed.bytes.byteLength}`);
    assert.equal(packed.size, plain.size, 'size counts the value before compression');
    assert.deepEqual(decodeEntry(packed.bytes).value, value);
  });

  it('refuses functions, symbols and cycles with E_INVALID_ARGUMENT naming the argument', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [{ f: () => 1 }, () => 1, { s: Symbol('x') }, cyclic]) {
      assert.throws(
        () => encodeEntry(bad, times, 1_024, 'value'),
        (error: Error & { code?: string; argument?: string }) => {
          assert.equal(error.code, 'E_INVALID_ARGUMENT');
          assert.equal(error.argument, 'value');
          assert.match(error.message, /^value cannot be serialized/);
          return true;
        },
      );
    }
  });

  it('keeps times in the header and can rewrite them without touching the body', () => {
    const { bytes } = encodeEntry('v', times, 1_024, 'value');
    assert.deepEqual(readTimes(bytes), times);
    const moved = withTimes(bytes, { freshUntil: 5, staleUntil: 6, errorUntil: 7 });
    assert.deepEqual(readTimes(moved), { freshUntil: 5, staleUntil: 6, errorUntil: 7 });
    assert.equal(decodeEntry(moved).value, 'v');
    assert.equal(readTimes(Buffer.from('not an entry at all, just bytes')), undefined);
    assert.throws(() => decodeEntry(Buffer.from('short')), { code: 'E_INTERNAL' });
  });
});

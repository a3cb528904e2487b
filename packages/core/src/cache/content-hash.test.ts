import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentHash } from './content-hash.js';

describe('contentHash', () => {
  it('is stable across key order and changes with any value or file byte', () => {
    const a = contentHash({ template: 'invoice', options: { size: 'A4', margin: 10 } });
    const b = contentHash({ options: { margin: 10, size: 'A4' }, template: 'invoice' });
    assert.equal(a, b);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(a, contentHash({ template: 'invoice', options: { size: 'A4', margin: 11 } }));
    const file = Buffer.from('%PDF-1.7 ...');
    const withFile = contentHash({ template: 'invoice' }, file);
    assert.equal(withFile, contentHash({ template: 'invoice' }, Buffer.from('%PDF-1.7 ...')));
    assert.notEqual(withFile, contentHash({ template: 'invoice' }, Buffer.from('%PDF-1.7 ..!')));
    assert.notEqual(contentHash(null, Buffer.from('ab')), contentHash(null, Buffer.from('a'), Buffer.from('b')));
  });

  it('refuses what JSON cannot carry faithfully, naming where', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    const cases: Array<[unknown, string]> = [
      [{ when: new Date() }, 'request.when'],
      [{ n: Number.NaN }, 'request.n'],
      [{ list: [1, () => 2] }, 'request.list[1]'],
      [cyclic, 'request.me'],
    ];
    for (const [bad, argument] of cases) {
      assert.throws(() => contentHash(bad as never), { code: 'E_INVALID_ARGUMENT', argument });
    }
    assert.throws(() => contentHash({}, 'text' as never), { code: 'E_INVALID_ARGUMENT', argument: 'files[0]' });
  });
});

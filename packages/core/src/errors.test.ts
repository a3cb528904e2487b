import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BackplaneError, ERROR_CODES, InvalidArgumentError, type ErrorCode } from './errors.js';

// docs/errors.md has the core codes; each component's doc (docs/cache.md, docs/jobs.md…) has its own.
const docsDir = new URL('../../../docs/', import.meta.url);
const docs = readdirSync(docsDir)
  .filter((name) => name.endsWith('.md'))
  .map((name) => readFileSync(new URL(name, docsDir), 'utf8'))
  .join('\n');

describe('error codes', () => {
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    it(`${code} is documented with status ${status}`, () => {
      assert.match(docs, new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
    });
  }

  it('documents no code that does not exist', () => {
    const documented = [...docs.matchAll(/\| `(E_[A-Z_]+)` \|/g)].map((match) => match[1]);
    for (const code of documented) assert.ok(code && code in ERROR_CODES, `${code} is documented but not defined`);
  });

  it('carries code, status, cause and details', () => {
    const cause = new Error('root');
    const error = new BackplaneError('E_TIMEOUT' satisfies ErrorCode, 'took too long', { cause, details: { ms: 5 } });
    assert.equal(error.code, 'E_TIMEOUT');
    assert.equal(error.status, 504);
    assert.equal(error.cause, cause);
    assert.deepEqual(error.details, { ms: 5 });
    assert.ok(error instanceof Error);
  });

  it('names the bad argument and shows what was received', () => {
    const error = new InvalidArgumentError('options.ttl', 'must be a positive duration', -5);
    assert.equal(error.code, 'E_INVALID_ARGUMENT');
    assert.equal(error.argument, 'options.ttl');
    assert.equal(error.message, 'options.ttl must be a positive duration (received -5)');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { suggestCommand } from './suggest.js';

const JOBS = ['add', 'get', 'logs', 'history', 'ls', 'cancel', 'retry', 'promote', 'retry-all', 'remove-all', 'wait'];

describe('suggestCommand', () => {
  it('maps the words people type to the command here', () => {
    assert.equal(suggestCommand('list', JOBS), 'ls');
    assert.equal(suggestCommand('LIST', JOBS), 'ls');
    assert.equal(suggestCommand('show', JOBS), 'get');
    assert.equal(suggestCommand('serve', ['server', 'worker', 'status', 'jobs', 'cache']), 'server');
  });

  it('finds a command a typo or two away, the closest first', () => {
    assert.equal(suggestCommand('retyr', JOBS), 'retry');
    assert.equal(suggestCommand('histroy', JOBS), 'history');
    assert.equal(suggestCommand('promot', JOBS), 'promote');
    assert.equal(suggestCommand('wokrer', ['server', 'worker', 'status']), 'worker');
  });

  it('suggests nothing for a word that is not close to any', () => {
    assert.equal(suggestCommand('deploy', JOBS), undefined);
    assert.equal(suggestCommand('x', JOBS), undefined);
    // A synonym whose command this group does not have.
    assert.equal(suggestCommand('list', ['server', 'worker']), undefined);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The README's `npx backplane …` runs the command npm linked into node_modules/.bin at install time. On a
 * fresh clone that install happens before the TypeScript is built, and npm skips a bin whose file does
 * not exist yet: so the bin must be a checked-in file, not one in dist/.
 */
describe('the backplane command a fresh install provides', () => {
  it('declares a checked-in bin file, which npm can link before the build', () => {
    const manifest = JSON.parse(readFileSync(`${root}/packages/server/package.json`, 'utf8')) as {
      bin: Record<string, string>;
    };
    const bin = manifest.bin.backplane;
    assert.ok(bin, 'packages/server declares a backplane bin');
    assert.doesNotMatch(bin, /(^|\/)dist\//, 'the bin is not a build output');
    const tracked = spawnSync('git', ['ls-files', '--error-unmatch', `packages/server/${bin.replace(/^\.\//, '')}`], {
      cwd: root,
    });
    assert.equal(tracked.status, 0, `${bin} is tracked by git`);
  });

  it('is linked in node_modules/.bin and runs', () => {
    const link = `${root}/node_modules/.bin/backplane`;
    assert.ok(existsSync(link), 'npm linked node_modules/.bin/backplane');
    assert.match(realpathSync(link), /packages\/server\//);
    const run = spawnSync(link, ['--version'], { cwd: root, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });
});

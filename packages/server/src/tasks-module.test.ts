import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadTasksModule } from './tasks-module.js';

/** A registry that records the task names a module defines. */
function recorder(): { names: string[]; defineTask: (name: string) => void } {
  const names: string[] = [];
  return { names, defineTask: (name: string) => void names.push(name) };
}

describe('loadTasksModule', () => {
  // A folder of its own with no package.json: a user's project that is not "type": "module".
  const dir = mkdtempSync(join(tmpdir(), 'backplane-tasks-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, string, string]> = [
    [
      'a TypeScript module with export default, in a CommonJS project',
      'tasks.ts',
      "import type { Jobs } from 'backplane';\nexport default function tasks(jobs: Pick<Jobs, 'defineTask'>) {\n  jobs.defineTask('ts.task', async () => 1);\n}\n",
    ],
    ['an ES module', 'tasks.mjs', "export default (jobs) => jobs.defineTask('esm.task');\n"],
    ['CommonJS with module.exports', 'tasks.cjs', "module.exports = (jobs) => jobs.defineTask('cjs.task');\n"],
    ['CommonJS with exports.default', 'tasks.js', "exports.default = (jobs) => jobs.defineTask('cjs.default');\n"],
  ];
  for (const [what, file, source] of cases) {
    it(`calls the default export of ${what}`, async () => {
      writeFileSync(join(dir, file), source);
      const registry = recorder();
      await loadTasksModule(join(dir, file), registry);
      assert.equal(registry.names.length, 1);
    });
  }

  it('names the file and what to export when there is no default function', async () => {
    const file = join(dir, 'none.mjs');
    writeFileSync(file, 'export const tasks = 1;\n');
    await assert.rejects(loadTasksModule(file, recorder()), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'E_CONFIG');
      assert.match(error.message, /none\.mjs must export a default function/);
      return true;
    });
  });

  it('says a missing file is missing', async () => {
    await assert.rejects(loadTasksModule(join(dir, 'absent.ts'), recorder()), /file not found/);
  });
});

// Builds what `npm start` needs, skipping the dashboard's front-end build when its output is newer than
// every source file, so a second start takes about a second instead of a full Vite build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

run(process.execPath, [
  'node_modules/typescript/bin/tsc',
  '-b',
  'packages/core',
  'packages/dashboard',
  'packages/server',
]);

const web = 'packages/dashboard/web';
const built = 'packages/dashboard/dist/web/index.html';
if (!existsSync(built) || statSync(built).mtimeMs < newest(web)) {
  run('npm', ['run', 'build:web', '--silent', '-w', '@backplane/dashboard']);
}

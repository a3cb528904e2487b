import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from 'backplane';

/**
 * Loads a user's task module (`--tasks ./tasks.ts` or `.js`). TypeScript goes through tsx's loader,
 * so users need no build step. The module's default export is called with the registry it should
 * define tasks on.
 */
export async function loadTasksModule<TRegistry>(path: string, registry: TRegistry): Promise<void> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new ConfigError('--tasks', `file not found: ${path}`);
  let loaded: { default?: unknown };
  try {
    if (/\.(c|m)?tsx?$/.test(absolute)) {
      const { tsImport } = await import('tsx/esm/api');
      loaded = (await tsImport(pathToFileURL(absolute).href, import.meta.url)) as { default?: unknown };
    } else {
      loaded = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
    }
  } catch (error) {
    throw new ConfigError(
      '--tasks',
      `could not load ${path}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
  const define = defaultExport(loaded);
  if (typeof define !== 'function') {
    throw new ConfigError('--tasks', `${path} must export a default function (jobs) => { jobs.defineTask(...) }`);
  }
  await (define as (registry: TRegistry) => unknown)(registry);
}

/**
 * The module's default export. A module that runs as CommonJS (a .ts file in a project without
 * `"type": "module"`, which tsx compiles to CommonJS, or a .js file with `exports.default = …`) arrives
 * through import() as `{ default: { default: fn } }`: Node hands over `module.exports` as the default.
 */
function defaultExport(loaded: { default?: unknown }): unknown {
  const value = loaded.default;
  if (typeof value === 'object' && value !== null && typeof (value as { default?: unknown }).default === 'function') {
    return (value as { default: unknown }).default;
  }
  return value;
}

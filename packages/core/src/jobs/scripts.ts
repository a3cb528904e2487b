import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * Loads the jobs Lua scripts from packages/core/lua/jobs. The URL is relative to this file and resolves
 * to the same folder from src/jobs (tsx) and dist/jobs (tsc). A line `--@include name` is replaced by
 * lua/jobs/includes/name.lua, so the scripts share helpers without copies.
 */
const LUA_DIR = new URL('../../lua/jobs/', import.meta.url);

export const SCRIPT_NAMES = [
  'add',
  'claim',
  'finish',
  'extend',
  'maintain',
  'cancel',
  'retry',
  'remove',
  'progress',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

interface LoadedScript {
  lua: string;
  numberOfKeys: number;
}

let loaded: Map<ScriptName, LoadedScript> | undefined;

function loadScripts(): Map<ScriptName, LoadedScript> {
  if (loaded) return loaded;
  const files = readdirSync(LUA_DIR);
  const scripts = new Map<ScriptName, LoadedScript>();
  for (const name of SCRIPT_NAMES) {
    const file = files.find((candidate) => new RegExp(`^${name}-\\d+\\.lua$`).test(candidate));
    if (!file) throw new Error(`jobs: Lua script ${name}-<keys>.lua is missing from ${LUA_DIR.pathname}`);
    const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)?.[1]);
    const source = readFileSync(new URL(file, LUA_DIR), 'utf8');
    const lua = source.replace(/^--@include (\S+)\s*$/gm, (_, include: string) =>
      readFileSync(new URL(`includes/${include}.lua`, LUA_DIR), 'utf8'),
    );
    scripts.set(name, { lua, numberOfKeys });
  }
  loaded = scripts;
  return scripts;
}

type ScriptCall = (...args: Array<string | number>) => Promise<unknown>;

/** Command names on the shared client are prefixed so they cannot clash with other components'. */
const commandName = (name: ScriptName): string => `backplaneJobs_${name}`;

/** Defines the scripts on a client (EVALSHA with a fallback to EVAL, handled by ioredis). */
export function defineJobScripts(client: Redis): void {
  for (const [name, script] of loadScripts()) {
    if (typeof (client as unknown as Record<string, unknown>)[commandName(name)] === 'function') continue;
    client.defineCommand(commandName(name), { lua: script.lua, numberOfKeys: script.numberOfKeys });
  }
}

export function runScript(
  client: Redis,
  name: ScriptName,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<unknown> {
  const call = (client as unknown as Record<string, ScriptCall>)[commandName(name)];
  if (!call) throw new Error(`jobs: script ${name} is not defined on this client`);
  return call.call(client, ...keys, ...args);
}

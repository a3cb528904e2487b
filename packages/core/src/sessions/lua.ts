import { readFileSync } from 'node:fs';
import type { RedisClient } from '../redis/client.js';

/**
 * The sessions' Lua scripts, read from packages/core/lua/sessions/ (the same relative path from src/ under
 * tsx and from dist/ after tsc) and registered on a client with `defineCommand`, which runs EVALSHA and
 * falls back to EVAL after a SCRIPT FLUSH or a Redis restart.
 */
const SCRIPTS = {
  write: 'write-1',
  patch: 'patch-1',
  touch: 'touch-1',
  destroy: 'destroy-1',
  regenerate: 'regenerate-2',
  index: 'index-1',
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number;

/** The scripts as methods; each takes its keys then its arguments, as the .lua headers describe. */
export type SessionScripts = Record<ScriptName, (keys: string[], args: Arg[]) => Promise<unknown>>;

const sources = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, file]) => [
    name,
    readFileSync(new URL(`../../lua/sessions/${file}.lua`, import.meta.url), 'utf8'),
  ]),
) as Record<ScriptName, string>;

export function sessionScripts(redis: RedisClient): SessionScripts {
  const scripts = {} as SessionScripts;
  for (const [name, file] of Object.entries(SCRIPTS) as Array<[ScriptName, string]>) {
    const command = `bpSession_${name}`;
    const numberOfKeys = Number(file.slice(file.lastIndexOf('-') + 1));
    // defineCommand is idempotent per client; several stores on one connection share the definitions.
    if (!(command in redis)) redis.defineCommand(command, { numberOfKeys, lua: sources[name] });
    const call = (redis as unknown as Record<string, (...args: Arg[]) => Promise<unknown>>)[command];
    if (!call) throw new Error(`script ${command} was not defined`);
    scripts[name] = (keys, args) => call.call(redis, ...keys, ...args);
  }
  return scripts;
}

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ApiClient } from './api-client.js';
import { CliError } from './cli-error.js';
import type { Writer } from './output.js';

export interface Io {
  out: Writer;
  err: Writer;
  env: Record<string, string | undefined>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** One CLI command: its own options, help text and a run function resolving to the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: Options;
  run(args: ParsedArgs, io: Io): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Options every command that talks to a running service accepts. */
export const REMOTE_OPTIONS: Options = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
};

export const REMOTE_HELP = `  --url URL      service to talk to (default $BACKPLANE_URL or http://127.0.0.1:$PORT, port 3000)
  --token TOKEN  admin token (default $BACKPLANE_ADMIN_TOKEN)
  --json         machine-readable output`;

export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`${message} (run "backplane ${command.name} --help")`, 2);
  }
}

export function apiClient(args: ParsedArgs, env: Io['env']): ApiClient {
  const url = stringOption(args, 'url') ?? env.BACKPLANE_URL ?? `http://127.0.0.1:${env.PORT ?? '3000'}`;
  if (!/^https?:\/\//.test(url)) throw new CliError(`--url must start with http:// or https:// (got ${url})`, 2);
  return new ApiClient({ url, token: stringOption(args, 'token') ?? env.BACKPLANE_ADMIN_TOKEN });
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function integerOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError(`--${name} must be a whole number from ${min} to ${max} (got ${text})`, 2);
  }
  return Number(text);
}

export function printJson(io: Io, value: unknown): void {
  io.out.write(`${JSON.stringify(value, null, 2)}\n`);
}

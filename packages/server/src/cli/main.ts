import { isBackplaneError } from 'backplane';
import { CliError } from './cli-error.js';
import { parseCommandArgs, type Command, type Io } from './command.js';
import { serverCommand } from './commands/server.js';
import { statusCommand } from './commands/status.js';
import { workerCommand } from './commands/worker.js';
import { jobsCommands } from './commands/jobs.js';
import { cacheCommands } from './commands/cache.js';
import { suggestCommand } from './suggest.js';

/** Top-level commands, and groups whose first argument picks a subcommand (`jobs add`, `cache stats`). */
const COMMANDS: Array<Command | CommandGroup> = [
  serverCommand,
  workerCommand,
  statusCommand,
  jobsCommands,
  cacheCommands,
];

export interface CommandGroup {
  name: string;
  summary: string;
  commands: Command[];
}

function isGroup(entry: Command | CommandGroup): entry is CommandGroup {
  return 'commands' in entry;
}

/** Adds a command or group; components register theirs at import time. */
export function registerCommand(entry: Command | CommandGroup): void {
  COMMANDS.push(entry);
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((entry) => entry.name.length));
  const lines = COMMANDS.map((entry) => `  ${entry.name.padEnd(width)}  ${entry.summary}`);
  return `Usage: backplane <command> [options]

Commands:
${lines.join('\n')}

Run "backplane <command> --help" for a command's options.
  -h, --help     Show this help
  -v, --version  Show the version`;
}

function groupUsage(group: CommandGroup): string {
  const width = Math.max(...group.commands.map((command) => command.name.length));
  return `Usage: backplane ${group.name} <command> [options]

Commands:
${group.commands.map((command) => `  ${command.name.split(' ').pop()?.padEnd(width)}  ${command.summary}`).join('\n')}`;
}

/** Runs the CLI and resolves to the process exit code; never throws. */
export async function main(
  argv: readonly string[],
  io: Io = { out: process.stdout, err: process.stderr, env: process.env },
): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err.write(`backplane: ${error.message}\n`);
      return error.exitCode;
    }
    if (isBackplaneError(error) && error.code === 'E_CONFIG') {
      io.err.write(`backplane: ${error.message}\n`);
      return 2;
    }
    io.err.write(`backplane: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    io.out.write(`${usage()}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === '-v' || first === '--version') {
    io.out.write('0.1.0\n');
    return 0;
  }
  const entry = COMMANDS.find((candidate) => candidate.name === first);
  if (!entry) {
    const guess = suggestCommand(
      first,
      COMMANDS.map((candidate) => candidate.name),
    );
    const hint = guess ? `did you mean "backplane ${guess}"? ` : '';
    throw new CliError(`unknown command "${first}"; ${hint}run "backplane --help" for the list`, 2);
  }
  let command: Command;
  let args: readonly string[];
  if (isGroup(entry)) {
    const [sub, ...subArgs] = rest;
    if (sub === undefined || sub === '-h' || sub === '--help') {
      io.out.write(`${groupUsage(entry)}\n`);
      return sub === undefined ? 2 : 0;
    }
    const found = entry.commands.find((candidate) => candidate.name === `${entry.name} ${sub}`);
    if (!found) {
      const names = entry.commands.map((candidate) => candidate.name.slice(entry.name.length + 1));
      const guess = suggestCommand(sub, names);
      const hint = guess ? `did you mean "backplane ${entry.name} ${guess}"? ` : '';
      throw new CliError(`unknown command "${entry.name} ${sub}"; ${hint}run "backplane ${entry.name} --help"`, 2);
    }
    command = found;
    args = subArgs;
  } else {
    command = entry;
    args = rest;
  }
  const parsed = parseCommandArgs(command, args);
  if (parsed.values.help) {
    io.out.write(`${command.usage}\n`);
    return 0;
  }
  return await command.run(parsed, io);
}

import { CliError } from '../cli-error.js';
import {
  apiClient,
  printJson,
  REMOTE_HELP,
  REMOTE_OPTIONS,
  stringOption,
  type Command,
  type ParsedArgs,
} from '../command.js';

const RETRYABLE = ['failed', 'cancelled'];
const REMOVABLE = ['waiting', 'delayed', 'completed', 'failed', 'cancelled'];

function bulkQuery(args: ParsedArgs, state: string): string {
  const query = new URLSearchParams({ state });
  const name = stringOption(args, 'name');
  if (name !== undefined) query.set('task', name);
  return query.toString();
}

function queueOf(args: ParsedArgs): string {
  return encodeURIComponent(stringOption(args, 'queue') ?? 'default');
}

export const retryAll: Command = {
  name: 'jobs retry-all',
  summary: 'Run again every failed (or cancelled) job of a queue, or of one task',
  usage: `Usage: backplane jobs retry-all [--queue Q] [--state failed|cancelled] [--name TASK]\n\nOptions:\n${REMOTE_HELP}`,
  options: { ...REMOTE_OPTIONS, queue: { type: 'string' }, state: { type: 'string' }, name: { type: 'string' } },
  async run(args, io) {
    const state = stringOption(args, 'state') ?? 'failed';
    if (!RETRYABLE.includes(state)) throw new CliError(`--state must be failed or cancelled (got ${state})`, 2);
    const result = await apiClient(args, io.env).call<{ queue: string; retried: number }>(
      'POST',
      `/queues/${queueOf(args)}/retry?${bulkQuery(args, state)}`,
    );
    if (args.values.json) printJson(io, result);
    else
      io.out.write(
        `${result.retried} ${state} job${result.retried === 1 ? '' : 's'} of ${result.queue} waiting again\n`,
      );
    return 0;
  },
};

export const removeAll: Command = {
  name: 'jobs remove-all',
  summary: 'Delete every waiting, delayed, completed, failed or cancelled job of a queue, or of one task',
  usage: `Usage: backplane jobs remove-all --state waiting|delayed|completed|failed|cancelled [--queue Q] [--name TASK]\n\nOptions:\n${REMOTE_HELP}`,
  options: { ...REMOTE_OPTIONS, queue: { type: 'string' }, state: { type: 'string' }, name: { type: 'string' } },
  async run(args, io) {
    const state = stringOption(args, 'state');
    if (state === undefined || !REMOVABLE.includes(state)) {
      throw new CliError(
        `--state must be one of ${REMOVABLE.join(', ')}${state === undefined ? '' : ` (got ${state})`}`,
        2,
      );
    }
    const result = await apiClient(args, io.env).call<{ queue: string; removed: number }>(
      'DELETE',
      `/queues/${queueOf(args)}/jobs?${bulkQuery(args, state)}`,
    );
    if (args.values.json) printJson(io, result);
    else io.out.write(`${result.removed} ${state} job${result.removed === 1 ? '' : 's'} of ${result.queue} removed\n`);
    return 0;
  },
};

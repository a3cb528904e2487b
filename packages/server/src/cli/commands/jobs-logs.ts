// GET /tasks/:id/logs answers with the library's page as JSON.
import type { JobLogLine, JobLogPage } from 'backplane';
import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { apiClient, integerOption, printJson, REMOTE_HELP, REMOTE_OPTIONS, type Command, type Io } from '../command.js';
import { OUTCOME_EXIT, requireId } from './jobs-shared.js';

const FOLLOW_EVERY_MS = 500;
/** Lines read per look while following: the newest ones, among which the last line printed is found. */
const FOLLOW_WINDOW = 1000;

const keyOf = (line: JobLogLine): string => `${line.time}|${line.attempt}|${line.level}|${line.message}`;

function print(io: Io, lines: readonly JobLogLine[]): void {
  for (const line of lines) {
    const fields = line.fields ? ` ${JSON.stringify(line.fields)}` : '';
    io.out.write(
      `${new Date(line.time).toISOString()} ${line.level.padEnd(5)} #${line.attempt} ${line.message}${fields}\n`,
    );
  }
}

/**
 * Prints the lines logged after `last` until the job is final, then exits with its outcome. A log holds
 * its newest lines only, so offsets move as old ones go: each look reads the newest lines and prints
 * those after the last one printed.
 */
async function follow(client: ApiClient, id: string, io: Io, first: JobLogPage): Promise<number> {
  const last = first.lines.at(-1);
  let lastKey = last && keyOf(last);
  let total = first.total;
  for (;;) {
    // The state first: a final job's lines were all written before its outcome, so the read after it
    // has every one.
    const { state } = await client.call<{ state: string }>('GET', `/tasks/${id}`);
    const offset = Math.max(0, total - FOLLOW_WINDOW);
    const page = await client.call<JobLogPage>('GET', `/tasks/${id}/logs?offset=${offset}&limit=${FOLLOW_WINDOW}`);
    total = page.total;
    let from = 0;
    if (lastKey !== undefined) {
      const at = page.lines.map(keyOf).lastIndexOf(lastKey);
      if (at >= 0) from = at + 1;
      else if (page.lines.length > 0) io.err.write('(lines were dropped from the log before they could be shown)\n');
    }
    const fresh = page.lines.slice(from);
    print(io, fresh);
    const newest = fresh.at(-1);
    if (newest) lastKey = keyOf(newest);
    if (state === 'completed' || state === 'failed' || state === 'cancelled') return OUTCOME_EXIT[state];
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_EVERY_MS));
  }
}

export const logs: Command = {
  name: 'jobs logs',
  summary: "Show a job's own log (what its handler wrote through ctx.log); --follow until it ends",
  usage: `Usage: backplane jobs logs ID [--offset N] [--limit N] [--follow]\n\nLines oldest first; the newest ones are kept (100 by default). --follow prints new lines as they come\nand exits with the job's outcome: 0 completed, 1 failed, 3 cancelled.\n\nOptions:\n${REMOTE_HELP}`,
  options: { ...REMOTE_OPTIONS, offset: { type: 'string' }, limit: { type: 'string' }, follow: { type: 'boolean' } },
  async run(args, io) {
    const id = requireId(args, 'logs');
    if (args.values.follow && args.values.json)
      throw new CliError('--follow prints lines as they come; leave out --json', 2);
    const client = apiClient(args, io.env);
    const query = new URLSearchParams();
    const offset = integerOption(args, 'offset', 0, 1_000_000);
    const limit = integerOption(args, 'limit', 1, 1000);
    if (offset !== undefined) query.set('offset', String(offset));
    if (limit !== undefined) query.set('limit', String(limit));
    const page = await client.call<JobLogPage>('GET', `/tasks/${id}/logs${query.size ? `?${query.toString()}` : ''}`);
    if (args.values.json) {
      printJson(io, page);
      return 0;
    }
    print(io, page.lines);
    if (args.values.follow) return await follow(client, id, io, page);
    const shown = page.offset + page.lines.length;
    if (page.lines.length === 0) io.err.write(`no log lines${page.total > 0 ? ` past line ${page.offset}` : ''}\n`);
    else if (shown < page.total) io.err.write(`more: --offset ${shown} (${page.total} lines in all)\n`);
    return 0;
  },
};

import type { ApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import {
  apiClient,
  integerOption,
  printJson,
  REMOTE_HELP,
  REMOTE_OPTIONS,
  stringOption,
  type Command,
  type Io,
} from '../command.js';
import type { CommandGroup } from '../main.js';
import { OUTCOME_EXIT, requireId } from './jobs-shared.js';
import { removeAll, retryAll } from './jobs-bulk.js';
import { history } from './jobs-history.js';
import { logs } from './jobs-logs.js';
import { tasks } from './jobs-tasks.js';
import { ago, ProgressLine, table } from '../output.js';

interface Job {
  id: string;
  name: string;
  queue: string;
  state: string;
  attempts: number;
  maxAttempts: number;
  progress: { percent: number; message?: string } | null;
  result: unknown;
  error: { message: string; code?: string } | null;
  createdAt: number;
  finishedAt: number | null;
}

function describeJob(job: Job): string {
  const rows: string[][] = [
    ['id', job.id],
    ['name', job.name],
    ['queue', job.queue],
    ['state', job.state],
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
    [
      'progress',
      job.progress ? `${job.progress.percent}%${job.progress.message ? ` ${job.progress.message}` : ''}` : '-',
    ],
    ['created', ago(job.createdAt)],
    ['finished', ago(job.finishedAt)],
  ];
  if (job.result !== null && job.result !== undefined) rows.push(['result', JSON.stringify(job.result)]);
  // A job that completed on a retry keeps the error of the attempt before it.
  const errorLabel = job.state === 'completed' ? 'earlier error' : 'error';
  if (job.error) rows.push([errorLabel, `${job.error.code ? `${job.error.code}: ` : ''}${job.error.message}`]);
  return table(['field', 'value'], rows);
}

/**
 * Follows a job's events until it ends, drawing a progress bar; reconnects with Last-Event-ID when the
 * stream drops. Resolves to the exit code of the outcome.
 */
export async function followJob(
  client: ApiClient,
  id: string,
  io: Io,
  options: { json: boolean; timeoutMs?: number | undefined },
): Promise<number> {
  const line = new ProgressLine(io.err);
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  let lastEventId: string | undefined;
  let failures = 0;
  for (;;) {
    const controller = new AbortController();
    const timer =
      deadline === undefined ? undefined : setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
    try {
      for await (const event of client.events(`/tasks/${id}/events`, controller.signal, lastEventId)) {
        failures = 0;
        if (event.id) lastEventId = event.id;
        const payload = JSON.parse(event.data) as {
          type?: string;
          state?: string;
          progress?: Job['progress'];
          data?: unknown;
        };
        if (event.event === 'snapshot') {
          const job = payload as unknown as Job;
          if (job.progress && !options.json) line.update(job.progress.percent, job.progress.message);
          if (['completed', 'failed', 'cancelled'].includes(job.state))
            return finish(client, id, io, line, options.json);
        } else if (event.event === 'progress' && !options.json) {
          const progress = payload.data as { percent: number; message?: string };
          line.update(progress.percent, progress.message);
        } else if (['completed', 'failed', 'cancelled', 'removed'].includes(event.event)) {
          return finish(client, id, io, line, options.json);
        }
      }
      // The server closed the stream at the end of the job.
      return finish(client, id, io, line, options.json);
    } catch (error) {
      if (controller.signal.aborted) {
        line.done();
        io.err.write(
          `backplane: gave up waiting for ${decodeURIComponent(id)} after ${options.timeoutMs} ms (it goes on running)\n`,
        );
        return OUTCOME_EXIT.timeout;
      }
      if (error instanceof CliError && !error.message.startsWith('cannot reach')) throw error;
      failures += 1;
      if (failures > 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * failures));
    } finally {
      clearTimeout(timer);
    }
  }
}

async function finish(client: ApiClient, id: string, io: Io, line: ProgressLine, json: boolean): Promise<number> {
  let job = await client.call<Job>('GET', `/tasks/${id}`);
  // Another server process may still serve the status from before the final event for a moment.
  for (let tries = 0; tries < 20 && !['completed', 'failed', 'cancelled'].includes(job.state); tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    job = await client.call<Job>('GET', `/tasks/${id}`);
  }
  if (!json && job.state === 'completed') line.update(100, job.progress?.message);
  line.done();
  if (json) printJson(io, job);
  else io.out.write(describeJob(job));
  if (job.state === 'completed') return OUTCOME_EXIT.completed;
  if (job.state === 'cancelled') return OUTCOME_EXIT.cancelled;
  return OUTCOME_EXIT.failed;
}

const add: Command = {
  name: 'jobs add',
  summary: 'Enqueue a job; --wait follows it with a progress bar',
  usage: `Usage: backplane jobs add NAME [--data JSON] [--wait] [--delay 30s] [--priority N] [--attempts N] [--queue Q] [--idempotency-key K]

With --wait, a progress bar follows the job to its end and the exit code tells the outcome:
0 completed, 1 failed, 3 cancelled, 4 gave up waiting (--timeout).

Options:
  --data JSON   the payload (default {})
  --timeout MS  with --wait: stop waiting after this many ms
${REMOTE_HELP}`,
  options: {
    ...REMOTE_OPTIONS,
    data: { type: 'string' },
    wait: { type: 'boolean' },
    delay: { type: 'string' },
    priority: { type: 'string' },
    attempts: { type: 'string' },
    queue: { type: 'string' },
    'idempotency-key': { type: 'string' },
    timeout: { type: 'string' },
  },
  async run(args, io) {
    const name = args.positionals[0];
    if (!name) throw new CliError('missing task name, as in "backplane jobs add demo.render --data \'{}\'"', 2);
    let data: unknown = {};
    const dataText = stringOption(args, 'data');
    if (dataText !== undefined) {
      try {
        data = JSON.parse(dataText);
      } catch {
        throw new CliError(`--data must be JSON, as in --data '{"file":"a.mp4"}'`, 2);
      }
    }
    const query = new URLSearchParams();
    for (const option of ['delay', 'priority', 'attempts', 'queue'] as const) {
      const value = stringOption(args, option);
      if (value !== undefined) query.set(option, value);
    }
    const timeoutMs = integerOption(args, 'timeout', 1, 86_400_000);
    const key = stringOption(args, 'idempotency-key');
    const client = apiClient(args, io.env);
    const path = `/tasks/${encodeURIComponent(name)}${query.size ? `?${query.toString()}` : ''}`;
    const created = await client.call<{ id: string; state: string }>(
      'POST',
      path,
      data,
      key ? { 'idempotency-key': key } : {},
    );
    if (!args.values.wait) {
      if (args.values.json) printJson(io, created);
      else io.out.write(`${created.id} ${created.state}\n`);
      return 0;
    }
    if (!args.values.json) io.err.write(`${created.id} enqueued\n`);
    return await followJob(client, encodeURIComponent(created.id), io, { json: Boolean(args.values.json), timeoutMs });
  },
};

const get: Command = {
  name: 'jobs get',
  summary: 'Show a job',
  usage: `Usage: backplane jobs get ID\n\nOptions:\n${REMOTE_HELP}`,
  options: REMOTE_OPTIONS,
  async run(args, io) {
    const job = await apiClient(args, io.env).call<Job>('GET', `/tasks/${requireId(args, 'get')}`);
    if (args.values.json) printJson(io, job);
    else io.out.write(describeJob(job));
    return 0;
  },
};

const ls: Command = {
  name: 'jobs ls',
  summary: 'List jobs by state, name and queue',
  usage: `Usage: backplane jobs ls [--state waiting|delayed|active|completed|failed|cancelled] [--name N] [--queue Q] [--limit N] [--cursor C]\n\nOptions:\n${REMOTE_HELP}`,
  options: {
    ...REMOTE_OPTIONS,
    state: { type: 'string' },
    name: { type: 'string' },
    queue: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  },
  async run(args, io) {
    const query = new URLSearchParams();
    for (const option of ['state', 'name', 'queue', 'limit', 'cursor'] as const) {
      const value = stringOption(args, option);
      if (value !== undefined) query.set(option, value);
    }
    const page = await apiClient(args, io.env).call<{ jobs: Job[]; nextCursor: string | null }>(
      'GET',
      `/tasks${query.size ? `?${query.toString()}` : ''}`,
    );
    if (args.values.json) {
      printJson(io, page);
      return 0;
    }
    const rows = page.jobs.map((job) => [
      job.id,
      job.name,
      job.state,
      job.progress ? `${job.progress.percent}%` : '-',
      `${job.attempts}/${job.maxAttempts}`,
      ago(job.createdAt),
    ]);
    io.out.write(table(['id', 'name', 'state', 'progress', 'attempts', 'created'], rows));
    if (page.nextCursor) io.out.write(`more: --cursor ${page.nextCursor}\n`);
    return 0;
  },
};

function stateChange(name: 'cancel' | 'retry' | 'promote', summary: string, method: string, suffix: string): Command {
  return {
    name: `jobs ${name}`,
    summary,
    usage: `Usage: backplane jobs ${name} ID\n\nOptions:\n${REMOTE_HELP}`,
    options: REMOTE_OPTIONS,
    async run(args, io) {
      const result = await apiClient(args, io.env).call<{ id: string; state: string }>(
        method,
        `/tasks/${requireId(args, name)}${suffix}`,
      );
      if (args.values.json) printJson(io, result);
      else io.out.write(`${result.id} ${result.state}\n`);
      return 0;
    },
  };
}

const wait: Command = {
  name: 'jobs wait',
  summary: 'Follow a job to its end with a progress bar (exit code = outcome)',
  usage: `Usage: backplane jobs wait ID [--timeout MS]\n\nExit codes: 0 completed, 1 failed, 3 cancelled, 4 gave up waiting.\n\nOptions:\n${REMOTE_HELP}`,
  options: { ...REMOTE_OPTIONS, timeout: { type: 'string' } },
  async run(args, io) {
    const id = requireId(args, 'wait');
    const client = apiClient(args, io.env);
    await client.call('GET', `/tasks/${id}`);
    return await followJob(client, id, io, {
      json: Boolean(args.values.json),
      timeoutMs: integerOption(args, 'timeout', 1, 86_400_000),
    });
  },
};

export const jobsCommands: CommandGroup = {
  name: 'jobs',
  summary: 'Enqueue, inspect, cancel, retry and wait for jobs',
  commands: [
    add,
    get,
    logs,
    history,
    ls,
    stateChange('cancel', 'Cancel a job (aborts it if running)', 'DELETE', ''),
    stateChange('retry', 'Run a failed or cancelled job again', 'POST', '/retry'),
    stateChange('promote', 'Run a delayed job now', 'POST', '/promote'),
    retryAll,
    removeAll,
    wait,
    tasks,
  ],
};

// GET /tasks/:id/history answers with the library's JobHistory as JSON.
import type { JobEvent, JobHistory } from 'backplane';
import { apiClient, integerOption, printJson, REMOTE_HELP, REMOTE_OPTIONS, type Command, type Io } from '../command.js';
import { requireId } from './jobs-shared.js';

const GAP: Record<NonNullable<JobHistory['missing']>, string> = {
  trimmed: "earlier events are gone: the queue's event stream keeps only its newest events",
  limit: 'older events left out: raise --limit (up to 1000)',
  scanned: "not every event was searched: the queue's stream past this job is too long to scan",
};

/** What an event carries, in a few words: the progress, the due time of a retry or delay, the error. */
function detailOf(event: JobEvent): string {
  const data = event.data as Record<string, unknown> | string | number | null | undefined;
  if (data === undefined || data === null) return '';
  if (event.type === 'progress' && typeof data === 'object') {
    const percent = typeof data.percent === 'number' ? `${data.percent}%` : '';
    return [percent, typeof data.message === 'string' ? data.message : ''].filter(Boolean).join(' ');
  }
  if ((event.type === 'retrying' || event.type === 'delayed') && Number.isFinite(Number(data))) {
    return `due ${new Date(Number(data)).toISOString()}`;
  }
  if (typeof data === 'object' && typeof data.message === 'string') return data.message;
  return JSON.stringify(data);
}

function print(io: Io, history: JobHistory): void {
  for (const event of history.events) {
    const at = new Date(Number(event.id.slice(0, event.id.indexOf('-')))).toISOString();
    const detail = detailOf(event);
    io.out.write(`${at} ${event.type.padEnd(10)}${detail ? ` ${detail}` : ''}\n`.replace(/ +\n$/, '\n'));
  }
  if (history.missing) io.err.write(`(${GAP[history.missing]})\n`);
}

export const history: Command = {
  name: 'jobs history',
  summary: 'Show what happened to a job: its state changes and progress, oldest first',
  usage: `Usage: backplane jobs history ID [--limit N]\n\nThe job's events as its queue's event stream still holds them (capped per queue), each with its time;\nthe newest 200 by default.\n\nOptions:\n${REMOTE_HELP}`,
  options: { ...REMOTE_OPTIONS, limit: { type: 'string' } },
  async run(args, io) {
    const id = requireId(args, 'history');
    const limit = integerOption(args, 'limit', 1, 1000);
    const answer = await apiClient(args, io.env).call<JobHistory>(
      'GET',
      `/tasks/${id}/history${limit === undefined ? '' : `?limit=${limit}`}`,
    );
    if (args.values.json) printJson(io, answer);
    else print(io, answer);
    return 0;
  },
};

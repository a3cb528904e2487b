import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, query } from '../api.js';
import { Card, Empty, ErrorNote, ProgressBar, StateBadge } from '../components/bits.js';
import { count, time } from '../format.js';
import { useLive } from '../live.js';
import { FINAL_STATES, JOB_STATES, queuesIn, type JobPage } from '../types.js';
import { BulkActions } from './BulkActions.js';
import { canCancel, canPromote, canRetry, cancelJob, promoteJob, retryJob } from './job-actions.js';

export interface JobFilter {
  queue: string;
  state: string;
  name: string;
}

const PAGE_SIZE = 50;

/** The service lists one queue and one state at a time (each is an index it can page through cheaply). */
export function effectiveFilter(filter: JobFilter, queueNames: string[]): JobFilter {
  return { queue: filter.queue || queueNames[0] || 'default', state: filter.state || 'active', name: filter.name };
}

export function Jobs({
  filter,
  readOnly,
  onFilter,
}: {
  filter: JobFilter;
  readOnly: boolean;
  onFilter: (filter: JobFilter) => void;
}) {
  const { snapshot } = useLive();
  const queues = queuesIn(snapshot) ?? [];
  const view = effectiveFilter(
    filter,
    queues.map((q) => q.name),
  );
  const counts = queues.find((q) => q.name === view.queue)?.counts ?? {};
  const [draft, setDraft] = useState(view);
  const [jobId, setJobId] = useState('');
  // Cursors of the pages before this one, so "Previous" needs no offset scan on the server.
  const [cursors, setCursors] = useState<(string | null)[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [page, setPage] = useState<JobPage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState(false);
  const loading = useRef(false);
  const countsSeen = useRef('');

  const load = async () => {
    if (loading.current) return;
    loading.current = true;
    try {
      const answer = await api<JobPage>('GET', `/tasks${query({ ...view, limit: PAGE_SIZE, cursor })}`);
      setPage({ jobs: Array.isArray(answer?.jobs) ? answer.jobs : [], nextCursor: answer?.nextCursor ?? null });
      setError(null);
      setMissing(false);
    } catch (caught) {
      if (caught instanceof ApiError && caught.missing) setMissing(true);
      else setError(caught);
    } finally {
      loading.current = false;
    }
  };

  useEffect(() => {
    setDraft(view);
    setCursors([]);
    setCursor(null);
  }, [view.queue, view.state, view.name]);

  useEffect(() => void load(), [view.queue, view.state, view.name, cursor]);

  // Live: re-read this page when a snapshot shows the queues moved, or while it shows unfinished jobs.
  useEffect(() => {
    if (!snapshot || document.visibilityState !== 'visible' || missing) return;
    const counts = JSON.stringify(queues.map((q) => q.counts));
    const moving = page?.jobs.some((job) => !FINAL_STATES.has(job.state)) ?? false;
    if (counts !== countsSeen.current || moving) {
      countsSeen.current = counts;
      void load();
    }
  }, [snapshot?.at]);

  const act = async (action: () => Promise<void>) => {
    try {
      await action();
      await load();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <Card title="Jobs by queue and state" id="h-jobs">
      <form
        class="filters"
        role="search"
        aria-label="Filter jobs"
        onSubmit={(event) => {
          event.preventDefault();
          onFilter(draft);
        }}
      >
        <label>
          Queue
          <select value={draft.queue} onChange={(event) => setDraft({ ...draft, queue: event.currentTarget.value })}>
            {[...new Set([...queues.map((q) => q.name), ...(draft.queue ? [draft.queue] : [])])].map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Task name
          <input
            value={draft.name}
            placeholder="e.g. demo.render"
            onInput={(event) => setDraft({ ...draft, name: event.currentTarget.value })}
          />
        </label>
        <button type="submit">Apply</button>
      </form>
      <form
        class="filters"
        role="search"
        aria-label="Open a job by id"
        onSubmit={(event) => {
          event.preventDefault();
          const typed = jobId.trim();
          if (typed === '') return;
          // A bare local id is taken to be of the queue shown.
          const id = typed.includes(':') ? typed : `${draft.queue || 'default'}:${typed}`;
          location.hash = `#/jobs/${encodeURIComponent(id)}`;
        }}
      >
        <label>
          Job id
          <input
            value={jobId}
            placeholder="e.g. default:3j74Cg7k2"
            spellcheck={false}
            onInput={(event) => setJobId(event.currentTarget.value)}
          />
        </label>
        <button type="submit">Open</button>
      </form>
      <nav class="tabs" aria-label="Job states">
        <ul>
          {JOB_STATES.filter((state) => state !== 'spooled').map((state) => (
            <li key={state}>
              <a
                href={`#/jobs?${new URLSearchParams({ queue: view.queue, state, ...(view.name ? { name: view.name } : {}) }).toString()}`}
                aria-current={view.state === state ? 'page' : undefined}
              >
                {state} <span class="tab-count">{count(counts[state] ?? 0)}</span>
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {readOnly || missing ? null : (
        <BulkActions view={view} total={counts[view.state] ?? 0} onDone={() => void load()} />
      )}
      <ErrorNote error={error} />
      {missing ? (
        <Empty>This service has no job API yet (GET /tasks is not available).</Empty>
      ) : page === null ? (
        <Empty>Loading…</Empty>
      ) : page.jobs.length === 0 ? (
        <Empty>
          No {view.state} jobs in queue {view.queue}
          {view.name ? ` named ${view.name}` : ''}.
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="jobs">
            <caption class="sr-only">Jobs of this queue and state</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Task</th>
                <th scope="col">Queue</th>
                <th scope="col">State</th>
                <th scope="col">Progress</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {page.jobs.map((job) => (
                <tr key={job.id} data-job-id={job.id}>
                  <th scope="row">
                    <a href={`#/jobs/${encodeURIComponent(job.id)}`}>
                      <code>{job.id}</code>
                    </a>
                  </th>
                  <td>{job.name}</td>
                  <td>{job.queue ?? '—'}</td>
                  <td>
                    <StateBadge state={job.state} />
                  </td>
                  <td>
                    <ProgressBar progress={job.progress} state={job.state} label={`Progress of job ${job.id}`} />
                  </td>
                  <td class="num">
                    {job.attempts ?? 0}/{job.maxAttempts ?? '—'}
                  </td>
                  <td>{time(job.createdAt)}</td>
                  <td class="actions-cell">
                    {!readOnly && canPromote(job) ? (
                      <button type="button" onClick={() => void act(() => promoteJob(job.id))}>
                        Run now<span class="sr-only"> job {job.id}</span>
                      </button>
                    ) : null}
                    {readOnly ? null : canCancel(job) ? (
                      <button type="button" onClick={() => void act(() => cancelJob(job.id))}>
                        Cancel<span class="sr-only"> job {job.id}</span>
                      </button>
                    ) : canRetry(job) ? (
                      <button type="button" onClick={() => void act(() => retryJob(job.id))}>
                        Retry<span class="sr-only"> job {job.id}</span>
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages of jobs">
        <button
          type="button"
          disabled={cursors.length === 0}
          onClick={() => {
            setCursor(cursors[cursors.length - 1] ?? null);
            setCursors(cursors.slice(0, -1));
          }}
        >
          Previous
        </button>
        <span>Page {cursors.length + 1}</span>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => {
            setCursors([...cursors, cursor]);
            setCursor(page?.nextCursor ?? null);
          }}
        >
          Next
        </button>
      </nav>
    </Card>
  );
}

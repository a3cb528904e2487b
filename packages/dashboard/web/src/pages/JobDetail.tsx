import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { Card, Empty, ErrorNote, ProgressBar, StateBadge } from '../components/bits.js';
import { dateTime, json, time } from '../format.js';
import { FINAL_STATES, type Job, type JobProgress } from '../types.js';
import { JobLog } from './JobLog.js';
import { canCancel, canPromote, canRetry, cancelJob, promoteJob, retryJob, runTask } from './job-actions.js';

interface TimelineEntry {
  key: string;
  at: number;
  type: string;
  detail: string;
}

/** Event names the service may send; EventSource only delivers named events one listens for. */
const EVENT_NAMES = [
  'message',
  'snapshot',
  'progress',
  'waiting',
  'delayed',
  'active',
  'completed',
  'failed',
  'retrying',
  'stalled',
  'cancelling',
  'cancelled',
  'removed',
  'state',
];
/** Event types that are the job's new state. */
const STATE_TYPES = new Set(['waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled']);

interface StreamEvent {
  type?: string;
  state?: string;
  progress?: JobProgress | null;
  data?: unknown;
  message?: string;
}

/**
 * Reads one event: the service sends a `snapshot` (the job itself), then `{ type, data }` events whose
 * type is a state or `progress`; `{ type, state, progress }` events are understood too.
 */
function interpret(name: string, payload: StreamEvent): { type: string; state?: string; progress?: JobProgress } {
  const type = payload.type ?? name;
  const state = payload.state ?? (STATE_TYPES.has(type) ? type : undefined);
  const progress =
    payload.progress ??
    (type === 'progress' && typeof payload.data === 'object' && payload.data !== null ? payload.data : undefined);
  return { type, ...(state === undefined ? {} : { state }), ...(progress ? { progress } : {}) };
}

/** GET /tasks/:id/history: the job's events so far, oldest first. */
interface JobHistory {
  events: Array<StreamEvent & { id: string; type: string }>;
  complete: boolean;
  missing?: 'trimmed' | 'limit' | 'scanned';
}

/** An event id is `<ms>-<seq>`: the time it happened. The snapshot has none; it is shown as of now. */
function timeOfEventId(eventId: string): number {
  const ms = Number(eventId.slice(0, eventId.indexOf('-')));
  return eventId.includes('-') && Number.isFinite(ms) ? ms : Date.now();
}

function entryOf(
  eventId: string,
  type: string,
  state: string | undefined,
  progress: JobProgress | undefined,
  index: number,
): TimelineEntry {
  const detail = [
    type === 'snapshot' ? state : type === state ? '' : state,
    progress?.percent !== undefined ? `${progress.percent}%` : '',
    progress?.message ?? '',
  ]
    .filter(Boolean)
    .join(' · ');
  return { key: `${eventId}-${index}`, at: timeOfEventId(eventId), type, detail };
}

const GAP_NOTES: Record<NonNullable<JobHistory['missing']>, string> = {
  trimmed: 'Earlier events are gone: the queue keeps only its newest events.',
  limit: 'Showing the newest events only.',
  scanned: 'Events after a long stretch of the queue’s history were not searched.',
};

export function JobDetail({ id, readOnly }: { id: string; readOnly: boolean }) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [streaming, setStreaming] = useState(false);
  // Why the history above the live events is not whole, if it is not.
  const [gap, setGap] = useState<JobHistory['missing']>(undefined);
  // Bumped to follow the job again after a retry: its stream ended when it finished.
  const [follow, setFollow] = useState(0);

  const load = () =>
    api<Job>('GET', `/tasks/${encodeURIComponent(id)}`)
      .then((answer) => {
        setJob(answer);
        setError(null);
        return answer;
      })
      .catch((caught: unknown) => {
        setError(caught);
        return null;
      });

  useEffect(() => void load(), [id]);

  // What happened so far, from the job's history; then the per-job stream, resumed right after the last
  // event of that history (no gap, nothing twice), for progress and state changes as they happen. A
  // job whose history ends with its final event needs no stream.
  useEffect(() => {
    let source: EventSource | null = null;
    let stopped = false;
    setTimeline([]);
    setGap(undefined);

    const handle = (event: Event) => {
      const message = event as MessageEvent<string>;
      let payload: StreamEvent;
      try {
        payload = JSON.parse(message.data) as StreamEvent;
      } catch {
        return;
      }
      const { type, state, progress } = interpret(message.type, payload);
      setTimeline((entries) => [...entries, entryOf(message.lastEventId, type, state, progress, entries.length)]);
      setJob((current) => {
        if (!current) return current;
        const next = { ...current };
        if (state) next.state = state;
        if (progress) next.progress = progress;
        return next;
      });
      // A state change carries no result, error or attempt count: read the job again for those. So does
      // a snapshot of a finished job: a stream that connects after the end hears of it only that way.
      if (state && (type !== 'snapshot' || FINAL_STATES.has(state))) void load();
      if ((state && FINAL_STATES.has(state)) || type === 'removed') {
        source?.close();
        setStreaming(false);
      }
    };

    const openStream = (after: string | undefined) => {
      const query = after === undefined ? '' : `?lastEventId=${encodeURIComponent(after)}`;
      const stream = new EventSource(`api/tasks/${encodeURIComponent(id)}/events${query}`);
      source = stream;
      setStreaming(true);
      for (const name of EVENT_NAMES) stream.addEventListener(name, handle);
      stream.addEventListener('error', (event) => {
        if (event instanceof MessageEvent && typeof event.data === 'string') {
          // An `error` event the service sent (its reader failed), not a connection error.
          let text = event.data;
          try {
            text = (JSON.parse(event.data) as StreamEvent).message ?? text;
          } catch {
            // keep the raw text
          }
          setTimeline((entries) => [
            ...entries,
            { key: `error-${entries.length}`, at: Date.now(), type: 'error', detail: text },
          ]);
          return;
        }
        // A refused stream (404, 401) ends here; a dropped one reconnects by itself with Last-Event-ID.
        if (stream.readyState === EventSource.CLOSED) setStreaming(false);
      });
    };

    api<JobHistory>('GET', `/tasks/${encodeURIComponent(id)}/history`)
      .then((history) => {
        if (stopped) return;
        setTimeline(
          history.events.map((event, i) => {
            const { type, state, progress } = interpret(event.type, event);
            return entryOf(event.id, type, state, progress, i);
          }),
        );
        setGap(history.missing);
        const last = history.events.at(-1);
        if (last && (FINAL_STATES.has(last.type) || last.type === 'removed')) return;
        openStream(last?.id);
      })
      // No history (a service without the route, or a job not found yet): the stream alone, from its snapshot.
      .catch(() => {
        if (!stopped) openStream(undefined);
      });
    return () => {
      stopped = true;
      source?.close();
      setStreaming(false);
    };
  }, [id, follow]);

  useEffect(() => {
    if (streaming && job && FINAL_STATES.has(job.state)) setStreaming(false);
  }, [job?.state]);

  const act = async (action: () => Promise<void>, refollow: boolean) => {
    try {
      await action();
      // A cancel shows up on the open stream; a retry needs a new one.
      if (refollow) setFollow((n) => n + 1);
      await load();
    } catch (caught) {
      setError(caught);
    }
  };

  if (error instanceof ApiError && error.status === 404 && !job) {
    return (
      <Card title={`Job ${id}`} id="h-job">
        <Empty>{error.missing ? 'This service has no job API yet.' : 'No such job (it may have been removed).'}</Empty>
        <p>
          <a href="#/jobs">Back to jobs</a>
        </p>
      </Card>
    );
  }

  return (
    <div class="grid">
      <Card title={`Job ${id}`} id="h-job">
        <ErrorNote error={error} />
        {!job ? (
          <Empty>Loading…</Empty>
        ) : (
          <>
            <dl class="facts">
              <div>
                <dt>Task</dt>
                <dd>{job.name}</dd>
              </div>
              <div>
                <dt>Queue</dt>
                <dd>{job.queue ?? '—'}</dd>
              </div>
              <div>
                <dt>State</dt>
                <dd data-testid="job-state">
                  <StateBadge state={job.state} />
                </dd>
              </div>
              <div>
                <dt>Attempts</dt>
                <dd>
                  {job.attempts ?? 0} of {job.maxAttempts ?? '—'}
                </dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd>{dateTime(job.createdAt)}</dd>
              </div>
              <div>
                <dt>Started</dt>
                <dd>{dateTime(job.startedAt)}</dd>
              </div>
              <div>
                <dt>Finished</dt>
                <dd>{dateTime(job.finishedAt)}</dd>
              </div>
              <div>
                <dt>Worker</dt>
                <dd>{job.workerId ?? '—'}</dd>
              </div>
            </dl>
            <ProgressBar progress={job.progress} state={job.state} label={`Progress of job ${id}`} />
            {readOnly ? null : (
              <div class="actions">
                {canPromote(job) ? (
                  <button type="button" onClick={() => void act(() => promoteJob(id), false)}>
                    Run now
                  </button>
                ) : null}
                {canCancel(job) ? (
                  <button type="button" class="danger" onClick={() => void act(() => cancelJob(id), false)}>
                    Cancel job
                  </button>
                ) : null}
                {canRetry(job) ? (
                  <button type="button" onClick={() => void act(() => retryJob(id), true)}>
                    Retry job
                  </button>
                ) : null}
                <button
                  type="button"
                  title="Enqueue a new job of this task with the same payload, on the same queue"
                  onClick={() => {
                    // The page moves to the new job; an error (a task this service does not define) stays here.
                    runTask(job.name, job.data ?? {}, { queue: job.queue }).catch((caught: unknown) =>
                      setError(caught),
                    );
                  }}
                >
                  Run again
                </button>
              </div>
            )}
          </>
        )}
      </Card>
      {job ? (
        <>
          <Card title="Payload" id="h-payload">
            <pre tabIndex={0}>{json(job.data)}</pre>
          </Card>
          {job.error && job.state !== 'completed' ? (
            <Card title="Error" id="h-result">
              <p class="error-note">{job.error.message}</p>
              {job.error.stack ? <pre tabIndex={0}>{job.error.stack}</pre> : null}
            </Card>
          ) : (
            <Card title="Result" id="h-result">
              <pre tabIndex={0}>{json(job.result)}</pre>
              {/* A job that completed on a retry keeps the error of the attempt before. */}
              {job.error ? (
                <p class="muted" data-testid="earlier-error">
                  An earlier attempt failed: {job.error.message}
                </p>
              ) : null}
            </Card>
          )}
          <JobLog id={id} changes={timeline.length + follow} running={job.state === 'active'} />
        </>
      ) : null}
      <Card title="Timeline" id="h-timeline">
        <p class="muted" aria-live="polite">
          {streaming
            ? 'Live: following this job’s events.'
            : 'Not live (the job is finished or its event stream is unavailable).'}
        </p>
        {gap ? (
          <p class="muted" data-testid="timeline-gap">
            {GAP_NOTES[gap]}
          </p>
        ) : null}
        {timeline.length === 0 ? (
          <Empty>No events yet.</Empty>
        ) : (
          <ol class="timeline">
            {timeline.map((entry) => (
              <li key={entry.key}>
                <time>{time(entry.at)}</time> <strong>{entry.type}</strong> {entry.detail}
              </li>
            ))}
          </ol>
        )}
      </Card>
    </div>
  );
}

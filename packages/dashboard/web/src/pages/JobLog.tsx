import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { Card, Empty, ErrorNote } from '../components/bits.js';
import { time } from '../format.js';

interface LogLine {
  time: number;
  level: string;
  message: string;
  attempt: number;
  fields?: Record<string, unknown>;
}

interface LogPage {
  lines: LogLine[];
  total: number;
  offset: number;
}

/** Most lines the page shows: the newest ones. */
const SHOWN = 500;
/** While the job runs, lines logged between two of its events appear within this. */
const POLL_MS = 2000;

/**
 * The job's own log: what its handler wrote through `ctx.log`. Read again whenever the job page hears
 * an event (`changes` moves) and, while the job runs, every two seconds.
 */
export function JobLog({ id, changes, running }: { id: string; changes: number; running: boolean }) {
  const [page, setPage] = useState<LogPage | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let stopped = false;
    const path = (offset: number) => `/tasks/${encodeURIComponent(id)}/logs?offset=${offset}&limit=${SHOWN}`;
    const read = async () => {
      try {
        let answer = await api<LogPage>('GET', path(0));
        // The newest lines are the ones worth showing when there are more than fit.
        if (answer.total > SHOWN) answer = await api<LogPage>('GET', path(answer.total - SHOWN));
        if (!stopped) {
          setPage(answer);
          setError(null);
        }
      } catch (caught) {
        if (!stopped) setError(caught);
      }
    };
    void read();
    const timer = running ? setInterval(() => void read(), POLL_MS) : undefined;
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [id, changes, running]);

  if (error instanceof ApiError && error.status === 404) return null;
  return (
    <Card title="Log" id="h-log">
      <ErrorNote error={error} />
      {!page ? (
        <Empty>Loading…</Empty>
      ) : page.lines.length === 0 ? (
        <Empty>Nothing logged: the handler wrote no ctx.log line at the kept levels.</Empty>
      ) : (
        <>
          {page.offset > 0 ? (
            <p class="muted">
              The newest {page.lines.length} of {page.total} lines.
            </p>
          ) : null}
          <ol class="job-log" tabIndex={0} aria-label={`Log of job ${id}`}>
            {page.lines.map((line, index) => (
              <li key={`${page.offset + index}`} class={`level-${line.level}`}>
                <time>{time(line.time)}</time> <span class="log-level">{line.level}</span>{' '}
                <span class="muted">#{line.attempt}</span> {line.message}
                {line.fields ? <code>{JSON.stringify(line.fields)}</code> : null}
              </li>
            ))}
          </ol>
        </>
      )}
    </Card>
  );
}

import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Card, Empty, ErrorNote, StateBadge } from '../components/bits.js';
import { count } from '../format.js';
import { useLive } from '../live.js';
import { partProblem, QUEUE_COUNT_STATES, queuesIn } from '../types.js';

export function Queues({ readOnly }: { readOnly: boolean }) {
  const { snapshot } = useLive();
  const queues = queuesIn(snapshot);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const toggle = async (name: string, paused: boolean) => {
    setBusy(name);
    setError(null);
    try {
      await api('POST', `/queues/${encodeURIComponent(name)}/${paused ? 'resume' : 'pause'}`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Card title="Queues" id="h-queues">
      <ErrorNote error={error} />
      {queues === null ? (
        <Empty>{partProblem(snapshot?.queues, 'GET /queues')}</Empty>
      ) : queues.length === 0 ? (
        <Empty>No queues yet: they appear when the first job is enqueued.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Jobs per queue by state</caption>
            <thead>
              <tr>
                <th scope="col">Queue</th>
                {QUEUE_COUNT_STATES.map((state) => (
                  <th scope="col" key={state} class="num">
                    {state}
                  </th>
                ))}
                <th scope="col" class="num">
                  jobs/min
                </th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {queues.map((queue) => (
                <tr key={queue.name}>
                  <th scope="row">
                    <a href={`#/jobs?queue=${encodeURIComponent(queue.name)}`}>{queue.name}</a>
                  </th>
                  {QUEUE_COUNT_STATES.map((state) => (
                    <td key={state} class="num">
                      {queue.counts?.[state] ? (
                        <a href={`#/jobs?queue=${encodeURIComponent(queue.name)}&state=${state}`}>
                          {count(queue.counts[state])}
                        </a>
                      ) : (
                        count(queue.counts?.[state] ?? 0)
                      )}
                    </td>
                  ))}
                  <td class="num">{count(queue.throughputPerMinute)}</td>
                  <td>
                    <StateBadge state={queue.paused ? 'paused' : 'running'} />
                  </td>
                  <td>
                    {readOnly ? (
                      <span class="muted">read-only</span>
                    ) : (
                      <button
                        type="button"
                        disabled={busy === queue.name}
                        onClick={() => void toggle(queue.name, queue.paused === true)}
                      >
                        {queue.paused ? 'Resume' : 'Pause'}
                        <span class="sr-only"> queue {queue.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

import { Card, Empty } from '../components/bits.js';
import { ago, count, dateTime } from '../format.js';
import { useLive } from '../live.js';
import { partProblem, workersIn } from '../types.js';

export function Workers() {
  const { snapshot } = useLive();
  const workers = workersIn(snapshot);
  const now = snapshot?.at ?? Date.now();
  return (
    <Card title="Workers" id="h-workers">
      {workers === null ? (
        <Empty>{partProblem(snapshot?.workers, 'GET /workers')}</Empty>
      ) : workers.length === 0 ? (
        <Empty>No worker is running.</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Running workers</caption>
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">Host</th>
                <th scope="col" class="num">
                  PID
                </th>
                <th scope="col" class="num">
                  Concurrency
                </th>
                <th scope="col" class="num">
                  Running
                </th>
                <th scope="col">Queues</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((worker) => (
                <tr key={worker.id}>
                  <th scope="row">
                    <code>{worker.id}</code>
                  </th>
                  <td>{worker.host ?? '—'}</td>
                  <td class="num">{worker.pid ?? '—'}</td>
                  <td class="num">{count(worker.concurrency)}</td>
                  <td class="num">{Array.isArray(worker.running) ? worker.running.length : count(worker.running)}</td>
                  <td>{(worker.queues ?? []).join(', ') || '—'}</td>
                  <td>{ago(worker.lastHeartbeat, now)}</td>
                  <td>{dateTime(worker.startedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

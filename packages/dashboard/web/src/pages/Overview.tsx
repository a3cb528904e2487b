import { Card, Empty, StateBadge } from '../components/bits.js';
import { LineChart } from '../components/LineChart.js';
import { bytes, count, percent } from '../format.js';
import { useLive } from '../live.js';
import { partProblem, QUEUE_COUNT_STATES, queuesIn } from '../types.js';

interface HealthBody {
  status?: string;
  checks?: Record<string, { status?: string; message?: string; availability?: string }>;
}

type RedisConnection = {
  backend?: string;
  target?: string;
  availability?: string;
  latencyMs?: number | null;
  lastError?: string | null;
  warnings?: string[];
  info?: {
    version?: string;
    usedMemoryBytes?: number;
    maxMemoryBytes?: number;
    maxmemoryPolicy?: string;
    connectedClients?: number;
    opsPerSecond?: number;
  } | null;
};

export function Overview() {
  const { snapshot, history } = useLive();
  const times = history.map((p) => p.t);
  const health = snapshot?.health.body as HealthBody | undefined;
  const redis =
    snapshot?.redis.status === 200
      ? (snapshot.redis.body as { backend?: string; connections?: Record<string, RedisConnection> })
      : null;
  const queues = queuesIn(snapshot);
  const totals = Object.fromEntries(
    QUEUE_COUNT_STATES.map((state) => [state, (queues ?? []).reduce((sum, q) => sum + (q.counts?.[state] ?? 0), 0)]),
  );

  return (
    <div class="grid">
      <Card title="Health" id="h-health">
        {!health?.status ? (
          <Empty>Waiting for the first snapshot…</Empty>
        ) : (
          <>
            <p>
              Service: <StateBadge state={health.status} />
            </p>
            <ul class="checks">
              {Object.entries(health.checks ?? {}).map(([name, check]) => (
                <li key={name}>
                  <span>{name}</span> <StateBadge state={check.status ?? 'unknown'} />
                  {check.message ? <span class="muted"> {check.message}</span> : null}
                </li>
              ))}
            </ul>
          </>
        )}
      </Card>

      <Card title="Redis" id="h-redis">
        {!redis ? (
          <Empty>{partProblem(snapshot?.redis, 'GET /redis/status')}</Empty>
        ) : redis.backend === 'memory' ? (
          <p>Embedded memory backend: no Redis is configured, state lives in this process.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Redis per connection</caption>
              <thead>
                <tr>
                  <th scope="col">Connection</th>
                  <th scope="col">Status</th>
                  <th scope="col">Version</th>
                  <th scope="col">Memory</th>
                  <th scope="col" class="num">
                    Clients
                  </th>
                  <th scope="col" class="num">
                    Ops/s
                  </th>
                  <th scope="col" class="num">
                    Ping
                  </th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(redis.connections ?? {}).map(([name, c]) => (
                  <tr key={name}>
                    <th scope="row">
                      {name}
                      {c.target ? <div class="muted small">{c.target}</div> : null}
                    </th>
                    <td>
                      <StateBadge state={c.backend === 'memory' ? 'memory' : (c.availability ?? 'unknown')} />
                      {c.lastError ? <div class="muted small">{c.lastError}</div> : null}
                      {(c.warnings ?? []).map((w) => (
                        <div key={w} class="warning">
                          {w}
                        </div>
                      ))}
                    </td>
                    <td>{c.info?.version ?? '—'}</td>
                    <td>
                      {bytes(c.info?.usedMemoryBytes)}
                      {c.info?.maxMemoryBytes ? ` of ${bytes(c.info.maxMemoryBytes)}` : ''}
                      {c.info?.maxmemoryPolicy ? <div class="muted small">{c.info.maxmemoryPolicy}</div> : null}
                    </td>
                    <td class="num">{count(c.info?.connectedClients)}</td>
                    <td class="num">{count(c.info?.opsPerSecond)}</td>
                    <td class="num">{typeof c.latencyMs === 'number' ? `${c.latencyMs.toFixed(1)} ms` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      <Card title="Queue totals" id="h-totals">
        {queues === null ? (
          <Empty>{partProblem(snapshot?.queues, 'GET /queues')}</Empty>
        ) : (
          <dl class="totals">
            {QUEUE_COUNT_STATES.map((state) => (
              <div key={state}>
                <dt>{state}</dt>
                <dd data-testid={`total-${state}`}>{count(totals[state])}</dd>
              </div>
            ))}
          </dl>
        )}
      </Card>

      <Card title="Cache hit rate, last hour" id="h-hits">
        <LineChart
          title="Hit rate per tier"
          times={times}
          yMax={1}
          formatY={(v) => percent(v, 0)}
          empty="Not enough samples yet: the chart fills in as the cache is read (one point every 10 s)."
          series={[
            { name: 'all tiers', className: 's-total', values: history.map((p) => p.hitRate) },
            { name: 'L1 (memory)', className: 's-l1', values: history.map((p) => p.l1) },
            { name: 'L2 (Redis)', className: 's-l2', values: history.map((p) => p.l2) },
          ]}
        />
      </Card>

      <Card title="Throughput, last hour" id="h-throughput">
        <LineChart
          title="Jobs finished per minute"
          times={times}
          formatY={(v) => v.toFixed(v < 10 ? 1 : 0)}
          empty="No throughput figures yet."
          series={[{ name: 'jobs/min', className: 's-total', values: history.map((p) => p.throughput) }]}
        />
      </Card>
    </div>
  );
}

import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Card, ConfirmDialog, Empty, ErrorNote } from '../components/bits.js';
import { LineChart } from '../components/LineChart.js';
import { count, percent } from '../format.js';
import { useLive } from '../live.js';
import { partProblem } from '../types.js';

type Scope = 'namespace' | 'tag' | 'prefix';

/** Flattens nested stats into rows ("hits.l1"), so new fields show up without a dashboard release. */
function rows(value: unknown, path = ''): [string, string][] {
  if (typeof value !== 'object' || value === null) {
    const text = typeof value === 'number' ? (/rate$/i.test(path) ? percent(value) : count(value)) : String(value);
    return [[path, text]];
  }
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) =>
    rows(inner, path ? `${path}.${key}` : key),
  );
}

export function Cache({ readOnly }: { readOnly: boolean }) {
  const { snapshot, history } = useLive();
  const stats = snapshot?.cache.status === 200 ? snapshot.cache.body : null;
  const [scope, setScope] = useState<Scope>('namespace');
  const [value, setValue] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const clear = async () => {
    setConfirming(false);
    setError(null);
    try {
      const answer = await api<{ cleared?: unknown } | null>('POST', '/cache/clear', { [scope]: value });
      const cleared = typeof answer?.cleared === 'number' ? `${count(answer.cleared)} ` : '';
      setOutcome(`Cleared ${cleared}entries with ${scope} "${value}".`);
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <div class="grid">
      <Card title="Cache statistics" id="h-cache">
        {stats === null ? (
          <Empty>{partProblem(snapshot?.cache, 'GET /cache/stats')}</Empty>
        ) : (
          <>
            <p class="big">
              Hit rate <strong data-testid="hit-rate">{percent((stats as { hitRate?: number }).hitRate)}</strong>
            </p>
            <table class="kv">
              <caption class="sr-only">Cache counters</caption>
              <tbody>
                {rows(stats).map(([key, text]) => (
                  <tr key={key}>
                    <th scope="row">{key}</th>
                    <td class="num">{text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Card>

      <Card title="Hit rate per tier, last hour" id="h-cache-chart">
        <LineChart
          title="Hit rate per tier"
          times={history.map((p) => p.t)}
          yMax={1}
          formatY={(v) => percent(v, 0)}
          empty="Not enough samples yet: one point every 10 s while the cache is read."
          series={[
            { name: 'all tiers', className: 's-total', values: history.map((p) => p.hitRate) },
            { name: 'L1 (memory)', className: 's-l1', values: history.map((p) => p.l1) },
            { name: 'L2 (Redis)', className: 's-l2', values: history.map((p) => p.l2) },
          ]}
        />
      </Card>

      <Card title="Clear entries" id="h-clear">
        {readOnly ? (
          <Empty>The dashboard is read-only: clearing is disabled.</Empty>
        ) : (
          <form
            class="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              setOutcome(null);
              if (value.trim() !== '') setConfirming(true);
            }}
          >
            <fieldset>
              <legend>Clear by</legend>
              {(['namespace', 'tag', 'prefix'] as const).map((option) => (
                <label key={option} class="radio">
                  <input
                    type="radio"
                    name="scope"
                    value={option}
                    checked={scope === option}
                    onChange={() => setScope(option)}
                  />
                  {option}
                </label>
              ))}
            </fieldset>
            <label for="clear-value">Value</label>
            <input id="clear-value" required value={value} onInput={(event) => setValue(event.currentTarget.value)} />
            <button type="submit" class="danger">
              Clear…
            </button>
          </form>
        )}
        <ErrorNote error={error} />
        {outcome ? (
          <p role="status" class="ok-note">
            {outcome}
          </p>
        ) : null}
        <ConfirmDialog
          open={confirming}
          title="Clear cache entries?"
          confirmLabel="Clear"
          onConfirm={() => void clear()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            Every entry with {scope} <code>{value}</code> is removed from both tiers on every instance. Readers then
            load fresh values.
          </p>
        </ConfirmDialog>
      </Card>
    </div>
  );
}

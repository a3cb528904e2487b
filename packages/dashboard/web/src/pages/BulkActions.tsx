import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { ErrorNote } from '../components/bits.js';
import { count } from '../format.js';
import type { JobFilter } from './Jobs.js';

const RETRYABLE = new Set(['failed', 'cancelled']);
const REMOVABLE = new Set(['waiting', 'delayed', 'completed', 'failed', 'cancelled']);

/**
 * "Retry all" and "Remove all" for the jobs the Jobs page shows (one queue, one state, maybe one task).
 * Removal asks to be confirmed in place: a second button, not a browser dialog.
 */
export function BulkActions({ view, total, onDone }: { view: JobFilter; total: number; onDone: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setConfirming(false);
    setDone(null);
    setError(null);
  }, [view.queue, view.state, view.name]);

  if (!RETRYABLE.has(view.state) && !REMOVABLE.has(view.state)) return null;
  const what = `${view.state} ${view.name ? `${view.name} ` : ''}jobs`;
  const params = query({ state: view.state, ...(view.name ? { task: view.name } : {}) });
  const queuePath = `/queues/${encodeURIComponent(view.queue)}`;

  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      setDone(await action());
      onDone();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  const retryAll = () =>
    run(async () => {
      const answer = await api<{ retried: number }>('POST', `${queuePath}/retry${params}`);
      return `${count(answer.retried)} ${what} waiting again.`;
    });
  const removeAll = () =>
    run(async () => {
      const answer = await api<{ removed: number }>('DELETE', `${queuePath}/jobs${params}`);
      return `${count(answer.removed)} ${what} removed.`;
    });

  return (
    <div class="bulk-actions">
      {RETRYABLE.has(view.state) ? (
        <button type="button" disabled={busy || total === 0} onClick={() => void retryAll()}>
          Retry all {what}
        </button>
      ) : null}
      {confirming ? (
        <>
          <button type="button" class="danger" disabled={busy} onClick={() => void removeAll()}>
            Yes, remove {view.name ? 'the' : count(total)} {what}
          </button>
          <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
            Keep them
          </button>
        </>
      ) : (
        <button type="button" disabled={busy || total === 0} onClick={() => setConfirming(true)}>
          Remove all {what}…
        </button>
      )}
      <p role="status" class="muted">
        {done}
      </p>
      <ErrorNote error={error} />
    </div>
  );
}

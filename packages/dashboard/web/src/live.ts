import { useEffect, useState } from 'preact/hooks';
import type { HistoryPoint, Snapshot } from './types.js';

export interface LiveState {
  snapshot: Snapshot | null;
  history: HistoryPoint[];
  connected: boolean;
}

const HOUR = 3_600_000;
let state: LiveState = { snapshot: null, history: [], connected: false };
let source: EventSource | null = null;
const listeners = new Set<(state: LiveState) => void>();

function update(patch: Partial<LiveState>): void {
  state = { ...state, ...patch };
  for (const listener of listeners) listener(state);
}

/** One event stream per browser tab for everything but per-job events: the server pushes, nobody polls. */
export function startLive(): void {
  if (source) return;
  source = new EventSource('api/stream');
  source.addEventListener('open', () => update({ connected: true }));
  source.addEventListener('error', () => update({ connected: false }));
  source.addEventListener('snapshot', (event) =>
    update({ snapshot: JSON.parse((event as MessageEvent<string>).data) as Snapshot, connected: true }),
  );
  source.addEventListener('history', (event) =>
    update({ history: JSON.parse((event as MessageEvent<string>).data) as HistoryPoint[] }),
  );
  source.addEventListener('sample', (event) => {
    const point = JSON.parse((event as MessageEvent<string>).data) as HistoryPoint;
    update({ history: [...state.history.filter((p) => p.t >= point.t - HOUR && p.t < point.t), point] });
  });
}

export function stopLive(): void {
  source?.close();
  source = null;
  update({ snapshot: null, history: [], connected: false });
}

export function useLive(): LiveState {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    listeners.add(setCurrent);
    setCurrent(state);
    return () => void listeners.delete(setCurrent);
  }, []);
  return current;
}

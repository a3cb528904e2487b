import type { HistorySampler } from './history.js';
import type { SseWriter } from './sse.js';
import type { Upstream, UpstreamResponse } from './upstream.js';

/** One API answer inside a snapshot: the browser shows an empty state for a route that is missing. */
export interface SnapshotPart {
  status: number;
  body: unknown;
}

export interface OverviewSnapshot {
  at: number;
  health: SnapshotPart;
  redis: SnapshotPart;
  queues: SnapshotPart;
  workers: SnapshotPart;
  cache: SnapshotPart;
}

const SOURCES = {
  health: '/health',
  redis: '/redis/status',
  queues: '/queues',
  workers: '/workers',
  cache: '/cache/stats',
} as const;

/**
 * One timer for every open dashboard: each tick reads the service once and pushes the same snapshot
 * to all browsers, so ten open tabs cost what one does, and nothing runs while nobody watches.
 */
export class LiveHub {
  private readonly clients = new Set<SseWriter>();
  private timer: NodeJS.Timeout | undefined;
  private latest: OverviewSnapshot | undefined;
  private building: Promise<OverviewSnapshot> | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly upstream: Upstream,
    private readonly sampler: HistorySampler,
    private readonly intervalMs: number,
  ) {
    this.unsubscribe = sampler.onPoint((point) => {
      for (const client of this.clients) client.send('sample', point);
    });
  }

  get clientCount(): number {
    return this.clients.size;
  }

  async add(client: SseWriter): Promise<void> {
    this.clients.add(client);
    client.signal.addEventListener('abort', () => this.remove(client), { once: true });
    client.send('history', this.sampler.history());
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
    client.send('snapshot', this.latest ?? (await this.snapshot()));
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe();
    for (const client of this.clients) client.close();
    this.clients.clear();
  }

  private remove(client: SseWriter): void {
    this.clients.delete(client);
    if (this.clients.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      this.latest = undefined;
    }
  }

  private async tick(): Promise<void> {
    const snapshot = await this.snapshot();
    for (const client of this.clients) client.send('snapshot', snapshot);
  }

  /** Concurrent callers share one build, so a burst of new tabs does not multiply upstream calls. */
  private snapshot(): Promise<OverviewSnapshot> {
    this.building ??= this.build().finally(() => (this.building = undefined));
    return this.building;
  }

  private async build(): Promise<OverviewSnapshot> {
    const names = Object.keys(SOURCES) as (keyof typeof SOURCES)[];
    const parts = await Promise.all(
      names.map((name) =>
        this.upstream.request('GET', SOURCES[name]).catch((error: unknown): UpstreamResponse => ({
          status: 502,
          body: { error: { code: 'E_UPSTREAM', message: error instanceof Error ? error.message : String(error) } },
        })),
      ),
    );
    const snapshot = { at: Date.now() } as OverviewSnapshot;
    names.forEach((name, index) => {
      const part = parts[index]!;
      snapshot[name] = { status: part.status, body: part.body };
    });
    this.latest = snapshot;
    return snapshot;
  }
}

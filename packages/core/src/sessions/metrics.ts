import { Counter, Gauge, type Registry } from 'prom-client';
import { InvalidArgumentError } from '../errors.js';

export interface SessionMetrics {
  created(): void;
  destroyed(count: number): void;
  touched(): void;
  updated(): void;
  regenerated(): void;
  /** Removes the collectors, so a later store can register them again in the same registry. */
  unregister(): void;
}

const NAMES = {
  created: 'backplane_sessions_created_total',
  destroyed: 'backplane_sessions_destroyed_total',
  touched: 'backplane_sessions_touched_total',
  updated: 'backplane_sessions_updated_total',
  regenerated: 'backplane_sessions_regenerated_total',
  active: 'backplane_sessions_active',
  fallback: 'backplane_sessions_fallback_active',
} as const;

export interface SessionGaugeSources {
  /** Live sessions, or `null` when they cannot be counted now (Redis down). */
  active(): Promise<number | null>;
  fallbackActive(): boolean;
}

const NOOP: SessionMetrics = {
  created: () => undefined,
  destroyed: () => undefined,
  touched: () => undefined,
  updated: () => undefined,
  regenerated: () => undefined,
  unregister: () => undefined,
};

/** Prometheus collectors for one session store; a no-op without a registry. */
export function sessionMetrics(registry: Registry | undefined, sources: SessionGaugeSources): SessionMetrics {
  if (!registry) return NOOP;
  for (const name of Object.values(NAMES)) {
    if (registry.getSingleMetric(name)) {
      throw new InvalidArgumentError('metrics', `already holds ${name}: one session store per registry`);
    }
  }
  const registers = [registry];
  const counter = (name: string, help: string) => new Counter({ name, help, registers });
  const created = counter(NAMES.created, 'Sessions created (including regenerated ones set by adapters).');
  const destroyed = counter(NAMES.destroyed, 'Sessions destroyed explicitly (not expired).');
  const touched = counter(NAMES.touched, 'Idle-expiry bumps that found a session.');
  const updated = counter(NAMES.updated, 'Partial updates applied.');
  const regenerated = counter(NAMES.regenerated, 'Sessions moved to a new id.');
  new Gauge({
    name: NAMES.active,
    help: 'Live sessions (on Redis counted by SCAN at most every activeCountInterval: approximate).',
    registers,
    async collect() {
      const active = await sources.active();
      if (active !== null) this.set(active);
    },
  });
  new Gauge({
    name: NAMES.fallback,
    help: '1 while sessions are served from process memory because Redis is down (memory-fallback).',
    registers,
    collect() {
      this.set(sources.fallbackActive() ? 1 : 0);
    },
  });
  return {
    created: () => created.inc(),
    destroyed: (count) => destroyed.inc(count),
    touched: () => touched.inc(),
    updated: () => updated.inc(),
    regenerated: () => regenerated.inc(),
    unregister: () => {
      for (const name of Object.values(NAMES)) registry.removeSingleMetric(name);
    },
  };
}

import type { DueSlot, PauseOutcome, SaveOutcome, ScheduleStore, StoredSchedule } from './store.js';

interface Entry {
  definition: string;
  paused: boolean;
  nextRunAt: number;
  lastRunAt: number | null;
}

/**
 * Schedules in this process. Several schedulers sharing one instance still never run a slot twice:
 * each `claim` checks and moves the slot in one synchronous step.
 */
export class MemoryScheduleStore implements ScheduleStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();

  async save(id: string, definition: string, nextRunAt: number): Promise<SaveOutcome> {
    const entry = this.entries.get(id);
    if (entry === undefined) {
      this.entries.set(id, { definition, paused: false, nextRunAt, lastRunAt: null });
      return 'created';
    }
    if (entry.definition === definition) return 'unchanged';
    entry.definition = definition;
    entry.nextRunAt = nextRunAt;
    return 'replaced';
  }

  async get(id: string): Promise<StoredSchedule | undefined> {
    const entry = this.entries.get(id);
    return entry === undefined ? undefined : view(id, entry);
  }

  async list(): Promise<StoredSchedule[]> {
    return [...this.entries.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, entry]) => view(id, entry));
  }

  async remove(id: string): Promise<boolean> {
    return this.entries.delete(id);
  }

  async setPaused(id: string, paused: boolean, nextRunAt: number): Promise<PauseOutcome> {
    const entry = this.entries.get(id);
    if (entry === undefined) return 'missing';
    if (entry.paused === paused) return 'unchanged';
    entry.paused = paused;
    if (!paused) entry.nextRunAt = nextRunAt;
    return 'changed';
  }

  async due(now: number, limit: number): Promise<{ slots: DueSlot[]; nextAt: number | undefined }> {
    const active = [...this.entries.entries()]
      .filter(([, entry]) => !entry.paused)
      .sort(([idA, a], [idB, b]) => a.nextRunAt - b.nextRunAt || (idA < idB ? -1 : 1));
    const slots: DueSlot[] = [];
    let nextAt: number | undefined;
    for (const [id, entry] of active) {
      if (entry.nextRunAt > now || slots.length === limit) {
        nextAt = entry.nextRunAt;
        break;
      }
      slots.push({ id, slot: entry.nextRunAt, definition: entry.definition });
    }
    return { slots, nextAt };
  }

  async claim(id: string, seen: number, next: number, recordLast: number | undefined): Promise<boolean> {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.paused || entry.nextRunAt !== seen) return false;
    entry.nextRunAt = next;
    if (recordLast !== undefined) entry.lastRunAt = recordLast;
    return true;
  }

  async close(): Promise<void> {}
}

function view(id: string, entry: Entry): StoredSchedule {
  return {
    id,
    definition: entry.definition,
    paused: entry.paused,
    nextRunAt: entry.paused ? null : entry.nextRunAt,
    lastRunAt: entry.lastRunAt,
  };
}

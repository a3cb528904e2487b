import { Deque, SortedSet } from './memory-structures.js';

const PRIORITY_SPAN = 2 ** 40;

/**
 * The ready jobs of one memory queue and the order claims take them in, as lua/jobs/includes/ready.lua
 * and groups.lua keep them in Redis: prioritized jobs first; then plain jobs and groups take turns;
 * each group's jobs in order, at most `groupConcurrency` of them running at once.
 */
export class MemoryReady {
  private readonly plain = new Deque();
  private readonly prioritized = new SortedSet();
  private readonly groups = new Map<string, Deque>();
  /** Groups with a job that may start now, by when they became ready. */
  private readonly readyGroups = new SortedSet();
  private readonly groupActive = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly groupConcurrency: number,
    /** Called when a sleeping worker should look for work. */
    private readonly wake: () => void,
  ) {}

  /** Puts a job where a claim finds it; `front` for jobs handed back, which go before newer ones. */
  add(localId: string, priority: number, group: string | undefined, front: boolean, now: number): void {
    if (group !== undefined) {
      let list = this.groups.get(group);
      if (!list) this.groups.set(group, (list = new Deque()));
      if (front) list.unshift(localId);
      else list.push(localId);
      this.offerGroup(group, now);
      return;
    }
    if (priority > 0) this.prioritized.add(localId, (1000 - priority) * PRIORITY_SPAN + (front ? 0 : ++this.seq));
    else if (front) this.plain.unshift(localId);
    else this.plain.push(localId);
    this.wake();
  }

  /** The next job to claim (`i`: its place in the claim, so plain jobs and groups alternate). */
  take(i: number): string | undefined {
    if (this.prioritized.size > 0) return this.prioritized.popMin();
    const plain = this.plain.size;
    if ((i % 2 === 0 || plain === 0) && this.readyGroups.size > 0) {
      for (let tries = 0; tries < 10; tries++) {
        const group = this.readyGroups.popMin();
        if (group === undefined) break;
        const localId = this.groups.get(group)?.shift();
        if (localId !== undefined) {
          this.groupActive.set(group, (this.groupActive.get(group) ?? 0) + 1);
          this.offerGroup(group, Date.now());
          return localId;
        }
      }
    }
    return plain > 0 ? this.plain.shift() : undefined;
  }

  /** A job of `group` stopped running: the group may start its next one. */
  release(group: string | undefined, now: number): void {
    if (group === undefined) return;
    const active = (this.groupActive.get(group) ?? 1) - 1;
    if (active <= 0) this.groupActive.delete(group);
    else this.groupActive.set(group, active);
    this.offerGroup(group, now);
  }

  /** Takes a waiting job out (cancelled or removed); false when it was not there. */
  remove(localId: string, group: string | undefined): boolean {
    if (group !== undefined) return this.groups.get(group)?.remove(localId) ?? false;
    return this.prioritized.remove(localId) || this.plain.remove(localId);
  }

  /** Jobs a claim could take now (a ready group counts once). */
  claimable(): number {
    return this.plain.size + this.prioritized.size + this.readyGroups.size;
  }

  /** Every waiting job, grouped ones included. */
  count(): number {
    let grouped = 0;
    for (const list of this.groups.values()) grouped += list.size;
    return this.plain.size + this.prioritized.size + grouped;
  }

  /** Waiting jobs in listing order: prioritized, plain, then each group's list (groups by name). */
  ids(offset: number, count: number): string[] {
    const groups = [...this.groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const sources: Array<{ size: number; take: (from: number, n: number) => string[] }> = [
      { size: this.prioritized.size, take: (from, n) => this.prioritized.range(from, n) },
      { size: this.plain.size, take: (from, n) => this.plain.slice(from, n) },
      ...groups.map(([, list]) => ({ size: list.size, take: (from: number, n: number) => list.slice(from, n) })),
    ];
    const ids: string[] = [];
    let skip = offset;
    for (const source of sources) {
      if (ids.length >= count) break;
      if (skip >= source.size) {
        skip -= source.size;
        continue;
      }
      ids.push(...source.take(skip, count - ids.length));
      skip = 0;
    }
    return ids;
  }

  private offerGroup(group: string, now: number): void {
    const list = this.groups.get(group);
    if ((this.groupActive.get(group) ?? 0) >= this.groupConcurrency || !list || list.size === 0) {
      if (list && list.size === 0 && !this.groupActive.has(group)) this.groups.delete(group);
      return;
    }
    if (this.readyGroups.score(group) === undefined) {
      this.readyGroups.add(group, now);
      this.wake();
    }
  }
}

import type { Backplane } from 'backplane';

/**
 * The queues this server shows: 'default', those of live workers, and every queue a job went through
 * this server to. (The engine has no queue registry of its own yet.)
 */
export class KnownQueues {
  private readonly names = new Set<string>(['default']);

  constructor(private readonly backplane: Backplane) {}

  add(queue: string): void {
    this.names.add(queue);
  }

  async list(): Promise<string[]> {
    try {
      for (const worker of await this.backplane.jobs.listWorkers())
        for (const queue of worker.queues) this.names.add(queue);
    } catch {
      // Redis down: show the queues known so far.
    }
    return [...this.names].sort();
  }
}

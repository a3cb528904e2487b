/**
 * Cancel requests a worker heard for jobs it does not hold yet: a job claimed for it can be cancelled
 * before it arrives (a hand-off still in its inbox, a claim reply on its way), and then ends cancelled
 * without running. Most requests are for other workers' jobs, so each is kept a minute, and never more
 * than 10,000.
 */
export class EarlyCancels {
  private readonly heardAt = new Map<string, number>();

  remember(id: string, now = Date.now()): void {
    if (this.heardAt.size >= 10_000) this.heardAt.clear();
    for (const [known, at] of this.heardAt) {
      if (now - at < 60_000) break;
      this.heardAt.delete(known);
    }
    this.heardAt.set(id, now);
  }

  /** True (once) when a cancel for `id` came before the job did. */
  take(id: string): boolean {
    return this.heardAt.size > 0 && this.heardAt.delete(id);
  }
}

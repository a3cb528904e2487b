/** A waiter's deadline: `expire` runs at `at` (ms since the epoch) unless it is removed first. */
export interface Deadline {
  at: number;
  expire: () => void;
}

/**
 * Many deadlines served by one timer, armed for the earliest. Waiting on job after job then costs no
 * timer per wait: a deadline removed early leaves the timer armed (it fires once per deadline span at
 * most, finds nothing due and re-arms), and only stops it from holding the process open.
 */
export class SharedDeadlines {
  private readonly deadlines = new Set<Deadline>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  add(deadline: Deadline): void {
    this.deadlines.add(deadline);
    this.timer?.ref();
    if (deadline.at < this.timerAt) this.arm(deadline.at);
  }

  remove(deadline: Deadline): void {
    if (this.deadlines.delete(deadline) && this.deadlines.size === 0) this.timer?.unref();
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.expireDue(), Math.max(0, at - Date.now()));
  }

  private expireDue(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const deadline of this.deadlines) {
      if (deadline.at <= now) {
        this.deadlines.delete(deadline);
        deadline.expire();
      } else if (deadline.at < next) next = deadline.at;
    }
    if (next < Infinity) this.arm(next);
  }
}

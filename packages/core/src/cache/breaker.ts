export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive L2 failures that open the circuit. @default 5 */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe call may try Redis again. @default '2s' in ms */
  openMs?: number;
}

/**
 * Stops calls to a dead or slow L2 so each cache call costs nothing while Redis is away. Closed: calls
 * pass, consecutive failures are counted. Open: calls are refused at once until `openMs` has passed.
 * Half-open: exactly one call probes; its success closes the circuit, its failure opens it again.
 */
export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly onChange: (state: CircuitState, previous: CircuitState) => void;

  constructor(options: CircuitBreakerOptions, onChange: (state: CircuitState, previous: CircuitState) => void) {
    this.threshold = Math.max(1, options.failureThreshold ?? 5);
    this.openMs = Math.max(1, options.openMs ?? 2_000);
    this.onChange = onChange;
  }

  get state(): CircuitState {
    return this.current;
  }

  /** Whether a call may go to L2 now; a `true` in half-open makes the caller the probe. */
  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (Date.now() - this.openedAt < this.openMs) return false;
      this.transition('half-open');
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    if (this.current !== 'closed') {
      this.probing = false;
      this.transition('closed');
    }
  }

  failure(): void {
    if (this.current === 'half-open') {
      this.probing = false;
      this.open();
      return;
    }
    if (this.current === 'closed' && ++this.failures >= this.threshold) this.open();
  }

  private open(): void {
    this.openedAt = Date.now();
    this.failures = 0;
    this.transition('open');
  }

  private transition(next: CircuitState): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    this.onChange(next, previous);
  }
}

/** `ok`: fully working. `degraded`: serving, with something missing (fail-open). `down`: cannot serve. */
export type HealthStatus = 'ok' | 'degraded' | 'down';

export interface CheckResult {
  status: HealthStatus;
  [detail: string]: unknown;
}

export type HealthCheck = () => CheckResult | Promise<CheckResult>;

export interface HealthReport {
  status: HealthStatus;
  checks: Record<string, CheckResult>;
}

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2 };

/**
 * Named checks whose worst result is the overall status. A check that throws or takes longer than
 * `timeoutMs` counts as down, so one broken check cannot hang the health endpoint.
 */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly timeoutMs: number;

  constructor(options: { timeoutMs?: number } = {}) {
    this.timeoutMs = options.timeoutMs ?? 1000;
  }

  register(name: string, check: HealthCheck): this {
    this.checks.set(name, check);
    return this;
  }

  unregister(name: string): void {
    this.checks.delete(name);
  }

  async run(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await this.runOne(check)] as const),
    );
    const checks = Object.fromEntries(entries);
    return { status: worst(entries.map(([, result]) => result.status)), checks };
  }

  private async runOne(check: HealthCheck): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<CheckResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ status: 'down', error: `check took over ${this.timeoutMs} ms` }),
          this.timeoutMs,
        );
      });
      return await Promise.race([Promise.resolve().then(check), timeout]);
    } catch (error) {
      return { status: 'down', error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

export function worst(statuses: readonly HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((acc, status) => (RANK[status] > RANK[acc] ? status : acc), 'ok');
}

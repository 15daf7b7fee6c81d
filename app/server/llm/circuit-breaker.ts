export interface CircuitBreakerOptions {
  /** Failures within the window that open the circuit (CIRCUIT_FAILURE_THRESHOLD). */
  failureThreshold: number;
  /** Length of the sliding failure window in milliseconds (CIRCUIT_WINDOW_SECONDS). */
  windowMs: number;
  /** How long an open circuit skips the model, in milliseconds (CIRCUIT_COOLDOWN_SECONDS). */
  cooldownMs: number;
  /** Milliseconds clock; injected in tests so they need no sleeps. @default Date.now */
  now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

interface ModelCircuit {
  failures: number[];
  openedAt: number | undefined;
}

/**
 * Per-model circuit breaker, per process (each replica may decide alone). After `failureThreshold` failures
 * within `windowMs`, the model is skipped for `cooldownMs`, so a dead primary costs no latency on every request.
 * After the cooldown the next calls are let through (half-open): one success closes the circuit, one failure opens
 * it again for another cooldown.
 */
export class CircuitBreaker {
  private readonly circuits = new Map<string, ModelCircuit>();
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  state(model: string): CircuitState {
    const c = this.circuits.get(model);
    if (c?.openedAt === undefined) return 'closed';
    return this.now() - c.openedAt < this.options.cooldownMs ? 'open' : 'half_open';
  }

  /** False while the model's circuit is open: skip it without a network call. */
  canAttempt(model: string): boolean {
    return this.state(model) !== 'open';
  }

  recordSuccess(model: string): void {
    this.circuits.delete(model);
  }

  recordFailure(model: string): void {
    const now = this.now();
    const c = this.circuits.get(model) ?? { failures: [], openedAt: undefined };
    this.circuits.set(model, c);
    if (c.openedAt !== undefined) {
      // A failed trial after the cooldown re-opens at once; nothing has changed since the circuit opened.
      if (now - c.openedAt >= this.options.cooldownMs) c.openedAt = now;
      return;
    }
    c.failures = c.failures.filter((t) => now - t < this.options.windowMs);
    c.failures.push(now);
    if (c.failures.length >= this.options.failureThreshold) {
      c.openedAt = now;
      c.failures = [];
    }
  }
}

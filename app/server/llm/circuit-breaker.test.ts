import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

function breaker() {
  const clock = { t: 0 };
  const b = new CircuitBreaker({
    failureThreshold: 3,
    windowMs: 10_000,
    cooldownMs: 5_000,
    now: () => clock.t,
  });
  return { b, clock };
}

describe('CircuitBreaker', () => {
  it('stays closed while failures are spread wider than the window', () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 10; i++) {
      b.recordFailure('gpt-4o');
      clock.t += 6_000; // at most two failures fall inside any 10 s window
    }
    expect(b.state('gpt-4o')).toBe('closed');
  });

  it('opens after N failures within the window, only for that model', () => {
    const { b } = breaker();
    for (let i = 0; i < 3; i++) b.recordFailure('gpt-4o');
    expect(b.canAttempt('gpt-4o')).toBe(false);
    expect(b.canAttempt('gpt-4o-mini')).toBe(true);
  });

  it('lets a trial through after the cooldown: a success closes it, a failure re-opens it at once', () => {
    const { b, clock } = breaker();
    for (let i = 0; i < 3; i++) b.recordFailure('gpt-4o');
    clock.t += 4_999;
    expect(b.state('gpt-4o')).toBe('open');
    clock.t += 1;
    expect(b.state('gpt-4o')).toBe('half_open');
    b.recordFailure('gpt-4o');
    expect(b.state('gpt-4o')).toBe('open');
    clock.t += 5_000;
    b.recordSuccess('gpt-4o');
    expect(b.state('gpt-4o')).toBe('closed');
    b.recordFailure('gpt-4o');
    expect(b.state('gpt-4o')).toBe('closed');
  });
});

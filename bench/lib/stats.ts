/** Median and p95 of a sample, by nearest rank (no interpolation: every reported value was really observed). */
export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** Milliseconds since an arbitrary origin, with sub-millisecond resolution. */
export const now = () => performance.now();

/**
 * Runs `task(i)` for i in [0, total) with at most `concurrency` running at once. With `rampMs`, lane k starts
 * k × rampMs after the first (a load tool's ramp-up) instead of all at once.
 */
export async function runConcurrently(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  rampMs = 0,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, total) }, async (_, lane) => {
    if (rampMs > 0 && lane > 0) await new Promise((resolve) => setTimeout(resolve, lane * rampMs));
    for (let i = next++; i < total; i = next++) await task(i);
  });
  await Promise.all(lanes);
}

/** For rates (pages/s, req/s) the "p95" is the slow end: the rate that 95 % of the samples met or beat. */
export function summarizeRate(samples: readonly number[]): Summary {
  const s = summarize(samples);
  return {
    ...s,
    p95: percentile(
      [...samples].sort((a, b) => a - b),
      5,
    ),
  };
}

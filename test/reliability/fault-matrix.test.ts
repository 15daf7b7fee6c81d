import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The fault matrix of issue 10: each fault, what a user or operator sees, and the test that proves it. This test
 * fails when a proving test is renamed or removed, so the matrix cannot silently lose a row.
 */
const MATRIX: Array<{ fault: string; outcome: string; file: string; test: string }> = [
  {
    fault: 'OpenAI 429',
    outcome: 'fallback to gpt-4o-mini; one ledger row per call',
    file: 'test/reliability/openai-faults.test.ts',
    test: '429 on the primary',
  },
  {
    fault: 'OpenAI 500',
    outcome: 'fallback; ledger exact',
    file: 'test/reliability/openai-faults.test.ts',
    test: '500 on the primary',
  },
  {
    fault: 'OpenAI timeout',
    outcome: 'fallback after LLM_TIMEOUT_MS; ledger exact',
    file: 'test/reliability/openai-faults.test.ts',
    test: 'primary never answers (timeout)',
  },
  {
    fault: 'OpenAI malformed body',
    outcome: 'fallback; ledger exact',
    file: 'test/reliability/openai-faults.test.ts',
    test: 'malformed body from the primary',
  },
  {
    fault: 'OpenAI stream cut mid-answer',
    outcome: 'error event, partial answer kept as incomplete, estimated usage',
    file: 'test/reliability/openai-faults.test.ts',
    test: 'stream cut mid-answer',
  },
  {
    fault: 'OpenAI stream stalls',
    outcome: 'error event after the idle timeout, partial answer kept',
    file: 'test/reliability/openai-faults.test.ts',
    test: 'stream stalls mid-answer',
  },
  {
    fault: 'every model down',
    outcome: 'models_unavailable (503 JSON without streaming), question kept',
    file: 'test/reliability/openai-faults.test.ts',
    test: 'every model 503',
  },
  {
    fault: 'Redis killed and restarted',
    outcome: 'answers continue, cache degraded, Redis used again',
    file: 'test/cache-redis.test.ts',
    test: 'keeps answering while Redis is down',
  },
  {
    fault: 'database unavailable at start',
    outcome: 'one line naming host:port, exit 1',
    file: 'test/reliability/database-faults.test.ts',
    test: 'npm start exits 1 with one readable line',
  },
  {
    fault: 'database lost mid-request',
    outcome: '503 JSON + Retry-After, health 503, recovers',
    file: 'test/reliability/database-faults.test.ts',
    test: 'answers 503 JSON without a stack',
  },
  {
    fault: 'SMTP down during billing',
    outcome: 'invoice kept, tenant named, e-mail sent next run',
    file: 'billing/test/job.test.ts',
    test: 'keeps the invoice when SMTP is down',
  },
  {
    fault: 'Zibal timing out during billing',
    outcome: 'invoice pending, tenant failed, one link next run',
    file: 'billing/test/job.test.ts',
    test: 'leaves the invoice pending and fails the tenant when Zibal does not answer in time',
  },
  {
    fault: 'Zibal down (connection refused)',
    outcome: 'tenant named, invoice waits, completed once next run',
    file: 'test/reliability/billing-faults.test.ts',
    test: 'Zibal refusing connections',
  },
  {
    fault: 'Prometheus down (prometheus source)',
    outcome: 'exit 1, one line, no invoice',
    file: 'test/reliability/billing-faults.test.ts',
    test: 'Prometheus down for the prometheus source',
  },
  {
    fault: 'billing killed between steps (simulated, every step)',
    outcome: 'resumes, nothing duplicated',
    file: 'billing/test/job.test.ts',
    test: 'resumes after a crash at',
  },
  {
    fault: 'billing process SIGKILLed',
    outcome: 'one payment and one e-mail after re-run',
    file: 'test/reliability/billing-faults.test.ts',
    test: 'the billing process killed (SIGKILL)',
  },
  {
    fault: 'payment callback replayed',
    outcome: 'credited once',
    file: 'billing/test/routes.test.ts',
    test: 'credits a replayed callback once',
  },
  {
    fault: 'payment callback forged (success=1)',
    outcome: 'not paid',
    file: 'billing/test/routes.test.ts',
    test: 'does not trust a forged success=1',
  },
  {
    fault: 'payment with a wrong amount',
    outcome: 'refused and logged, not paid',
    file: 'billing/test/routes.test.ts',
    test: 'refuses and logs a payment whose verified amount differs',
  },
  {
    fault: 'embedded database under concurrency',
    outcome: 'every connection gets its own answer',
    file: 'test/reliability/embedded-concurrency.test.ts',
    test: '300 interleaved parameterised queries',
  },
];

describe('fault matrix', () => {
  for (const row of MATRIX) {
    it(`${row.fault} → ${row.outcome} (proved in ${row.file})`, () => {
      expect(readFileSync(row.file, 'utf8'), `${row.file} no longer has a test "${row.test}"`).toContain(
        row.test,
      );
    });
  }
});

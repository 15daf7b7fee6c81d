import { describe, expect, it } from 'vitest';
import { metrics } from '../app/telemetry/metrics.js';
import {
  and,
  div,
  gt,
  histogramBuckets,
  histogramCount,
  histogramQuantile,
  mul,
  rate,
  series,
  sum,
} from './promql.js';

describe('typed PromQL helper', () => {
  it('selects catalog metrics with typed label matchers', () => {
    const e = series(metrics.openaiRequestTotal, {
      job: 'docuchat-backend',
      status: 'error',
      model: { re: 'gpt-.*' },
    });
    expect(e.promql).toBe('openai_request_total{job="docuchat-backend", status="error", model=~"gpt-.*"}');
    // @ts-expect-error: openai_request_total has no `endpoint` label, so the matcher does not type-check.
    series(metrics.openaiRequestTotal, { endpoint: '/x' });
  });

  it('groups only by labels the expression still carries', () => {
    const perTenant = sum(rate(series(metrics.openaiTokensTotal), '5m'), ['tenant']);
    expect(perTenant.promql).toBe('sum by (tenant) (rate(openai_tokens_total[5m]))');
    // @ts-expect-error: after `sum by (tenant)` there is no `model` label left to group by.
    sum(perTenant, ['model']);
  });

  it('knows which series a histogram has and refuses the wrong ones', () => {
    const h = metrics.httpRequestDurationSeconds;
    expect(histogramQuantile(0.95, sum(rate(histogramBuckets(h), '5m'), ['le'])).promql).toBe(
      'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
    );
    expect(() => series(h)).toThrow(/is a histogram/);
    expect(() => histogramCount(metrics.openaiTokensTotal)).toThrow(/is a counter/);
    expect(() => histogramQuantile(95, histogramBuckets(h))).toThrow(/between 0 and 1/);
  });

  it('parenthesises operands so the rendered precedence is the built one', () => {
    const a = series(metrics.ragQueryTotal);
    const b = series(metrics.documentChunksTotal);
    expect(mul(div(a, 1000), 20).promql).toBe('(rag_query_total / 1000) * 20');
    expect(div(gt(a, 1), b).promql).toBe('(rag_query_total > 1) / document_chunks_total');
    expect(and(gt(a, 1), gt(b, 2)).promql).toBe('(rag_query_total > 1) and (document_chunks_total > 2)');
    expect(rate(a, '1h', { offset: '1w' }).promql).toBe('rate(rag_query_total[1h] offset 1w)');
  });
});
